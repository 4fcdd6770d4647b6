"""The rest of a complaint: who, how often repaired, what was lost, what service did, feelings.

Placeholders: ``{p}`` product name, ``{age}`` how long owned, ``{n}`` a count, ``{nth}`` an
ordinal, ``{brand}`` the brand as the language writes it, ``{sym}`` the symptom clause.
"""

from __future__ import annotations

# How the product and the symptom are put together.  ``again`` patterns are for repeat failures.
FRAMES_ZH = ("我的{p}{sym}", "{p}{sym}", "刚买{age}的{p}{sym}", "用了{age}的{p}{sym}", "入手{age}的{p}，{sym}",
             "家里那台{p}{sym}", "{p}，{sym}", "{sym}，{p}的质量真的绝了", "{p}用户，{sym}",
             "我这台{p}{sym}", "{sym}……{p}", "说一下我的{p}：{sym}")
FRAMES_AGAIN_ZH = ("我的{p}又{sym}", "{p}又双叒叕{sym}", "{p}再次{sym}", "修好的{p}又{sym}",
                   "{p}又来了，{sym}", "服了，{p}又{sym}")
FRAMES_EN = ("My {p}: {sym}", "{sym} on my {p}", "{p} owner here, {sym}", "Got my {p} {age} ago and {sym}",
             "So my {p}... {sym}", "Anyone else? {p}, {sym}", "PSA: {p} and {sym}")
FRAMES_AGAIN_EN = ("My {p} again: {sym}", "{p} did it again, {sym}", "Here we go again, {p}: {sym}",
                   "Repaired {p}, and now {sym} again")

AGE_ZH = ((30, ("不到一个月", "二十来天", "半个月")), (90, ("两个月", "俩月", "一个多月")),
          (180, ("三个多月", "几个月", "四个月")), (365, ("半年多", "大半年", "八个月")),
          (730, ("一年多", "一年半", "一年")), (10_000, ("两年", "快两年", "两年多")))
AGE_EN = ((30, ("two weeks", "less than a month")), (90, ("two months", "a couple of months")),
          (180, ("four months", "a few months")), (365, ("half a year", "eight months")),
          (730, ("a year", "over a year")), (10_000, ("two years", "almost two years")))

NUMBERS_ZH = {1: "一", 2: "两", 3: "三", 4: "四", 5: "五", 6: "六", 7: "七", 8: "八", 9: "九"}
ORDINALS_ZH = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五", 6: "六", 7: "七", 8: "八", 9: "九"}
NUMBERS_EN = {1: "once", 2: "twice", 3: "three times", 4: "four times", 5: "five times"}
ORDINALS_EN = {1: ("1st", "first"), 2: ("2nd", "second"), 3: ("3rd", "third"), 4: ("4th", "fourth"),
               5: ("5th", "fifth"), 6: ("6th", "sixth")}

# Repairs so far (``{n}`` = repairs already done) ...
REPAIRS_DONE_ZH = ("修了{n}次", "已经修了{n}次了", "返厂{n}次", "送修{n}次还是这样", "售后跑了{n}趟",
                   "前后修了{n}回", "来回折腾{n}次", "维修{n}次了")
REPAIRS_DONE_EN = ("repaired {n} already", "been to the service center {n}", "sent it in for repair {n}",
                   "they've fixed it {n} and it still breaks")
# ... or the visit about to happen (``{nth}`` = this visit).
REPAIR_VISIT_ZH = ("第{nth}次送修", "这是第{nth}次返修了", "准备第{nth}次去售后", "第{nth}次返厂")
REPAIR_VISIT_EN = ("{nth} repair coming up", "this is the {nth} time it goes in for repair",
                   "{nth} trip to the service center")
# Repair-count clauses in English must agree with the count ("once"/"twice" have no "times").

DATA_LOSS_ZH = ("数据全没了", "资料全没", "照片全没了", "聊天记录全丢了", "每次修完数据都清空", "孩子的照片全没了",
                "几年的照片一下子全没了", "数据又被清空了", "微信聊天记录全没了", "工作资料全丢了",
                "又得重新装一遍app，数据全没", "修一次丢一次数据")
DATA_LOSS_EN = ("lost all my photos", "all my data got wiped again", "lost everything", "every repair wipes my data",
                "years of photos gone", "had to set everything up from scratch, data gone")

SERVICE_ZH = {
    "repair": ("售后只给修不给换", "送修等了两个星期", "售后说要返厂维修", "客服让我等通知", "修了一个星期才拿回来"),
    "board_repair": ("售后说只能换主板", "售后说是主板问题", "又是换主板"),
    "repair_only": ("9月15号以后只给修主板了", "现在连换新都不给了，只修主板", "客服说政策变了只修不换",
                    "之前说好的换新呢？现在只修主板"),
    "replace": ("总算给换了新机", "售后直接换新了", "给换了台新的", "换了新机，希望别再坏"),
    "refund": ("直接退货了", "已经退款了，拜拜了您嘞", "申请了退货"),
    "refused": ("售后说进水了不给保", "说我私拆不给保修", "拒保了，理由是人为损坏"),
    "inspect": ("售后检测说没问题？？", "检测说一切正常", "去了售后说没故障"),
}
SERVICE_EN = {
    "repair": ("they won't replace it, only repair", "two weeks waiting for the repair",
               "they're sending it back to the factory"),
    "board_repair": ("service center says only a board swap", "another mainboard swap"),
    "repair_only": ("since Sep 15 Xiaomi only does board repairs, no more exchanges",
                    "they stopped replacing them, board repair only now"),
    "replace": ("finally got a replacement", "they swapped it for a new unit"),
    "refund": ("returned it for a refund", "got my money back"),
    "refused": ("they refused warranty, claiming water damage", "warranty denied, 'physical damage' apparently"),
    "inspect": ("service center says nothing's wrong??", "they tested it and found no fault"),
}

# Circumstances owners add in longer posts; none names a failure mode.
NARRATIVE_ZH = ("本来打算用三年的，结果一年不到就出问题", "当初买它就是看中了性能和拍照", "平时工作全靠手机，这下彻底耽误事了",
                "已经在黑猫投诉上提交了投诉", "打了好几次客服电话，每次都是让等通知", "朋友劝我别买，我没听",
                "双十一排队抢的，现在后悔死了", "送修期间只能用备用机，什么都不方便", "售后的小哥也说这个问题很多人遇到",
                "保修快到期了，真怕以后修要自己掏钱", "手机里存着很多工作文件，每次去售后都提心吊胆",
                "为了修手机请了两次假，来回路费都不少")
NARRATIVE_EN = ("I was planning to keep it for three years", "I rely on this phone for work every day",
                "filed a complaint already, still no answer", "the service guy said lots of people have the same issue",
                "warranty runs out soon and I'm worried I'll have to pay next time",
                "took two days off work just to deal with the service center")
EMOTIONS_ZH = ("无语", "心累", "太坑了", "再也不买{brand}了", "气死了", "服了", "醉了", "绝了", "真的会谢",
               "谁懂啊家人们", "崩溃", "有没有一样情况的", "求助", "离谱", "这质量真的不行", "吐了", "破防了",
               "裂开", "麻了", "心态崩了", "大家买手机慎重", "避雷", "人麻了", "难顶", "欲哭无泪", "怎么办啊",
               "这就是旗舰机？", "so annoying", "真的无语 lol")
EMOTIONS_EN = ("so annoying", "never buying {brand} again", "ridiculous", "wtf", "smh", "ugh", "anyone else?",
               "this is unacceptable", "what a joke", "so done with this phone", "avoid", "lol i give up",
               "flagship my ass", "help")
OPENERS_ZH = ("", "", "", "唉，", "救命，", "家人们，", "吐槽一下，", "无语了，", "真的服了，", "求助！", "啊啊啊",
              "说个事，", "醉了，")
OPENERS_EN = ("", "", "", "Ugh. ", "Rant: ", "Help! ", "Seriously, ", "Great. ")

EMOJI_SAD = ("[泪]", "[怒]", "[抓狂]", "[允悲]", "[doge]", "[微笑]", "[吐]", "[衰]", "[费解]", "[摊手]", "[悲伤]",
             "[哼]")
EMOJI_HAPPY = ("[good]", "[赞]", "[哈哈]", "[心]", "[二哈]", "[doge]", "[鼓掌]", "[耶]")
EMOJI_FILES = {"[泪]": "d_lei", "[怒]": "d_nu", "[抓狂]": "d_zhuakuang", "[允悲]": "d_yunbei", "[doge]": "d_doge",
               "[微笑]": "d_weixiao", "[吐]": "d_tu", "[衰]": "d_shuai", "[费解]": "d_feijie", "[摊手]": "d_tanshou",
               "[悲伤]": "d_beishang", "[哼]": "d_heng", "[good]": "h_good", "[赞]": "d_zan", "[哈哈]": "d_haha",
               "[心]": "l_xin", "[二哈]": "d_erha", "[鼓掌]": "d_guzhang", "[耶]": "d_ye"}
UNICODE_SAD = ("😭", "😡", "🙃", "💔", "🤬", "😤", "🤡")
UNICODE_HAPPY = ("👍", "😂", "😍", "🥰", "✨")

# Hashtags that name a failure mode, by mode; ``{series}`` is filled for the Mi 11 series only.
MODE_TAGS_ZH = {"wifi": ("小米11WiFi门", "WiFi打不开"), "motherboard": ("小米11烧主板", "手机烧主板"),
                "screen_burn_in": ("手机烧屏",), "overheating": ("手机发热",), "battery": ("电池续航",)}
MI11_ONLY_TAGS = {"小米11WiFi门", "小米11烧主板"}
GENERIC_TAGS_ZH = ("手机售后", "{brand}售后", "数码", "避雷", "消费维权", "黑猫投诉")
GENERIC_TAGS_EN = ("Xiaomi", "androidproblems", "{brand}")

# Planted personal data: sentences that carry an identifier ``{v}``.
PLANTED_ZH = {
    "phone": ("有同样问题的加我 {v} 一起维权", "我电话{v}，{brand}售后回个电话吧", "联系方式：{v}"),
    "imei": ("IMEI：{v}，售后说查不到保修？", "串号{v}，已经是官方记录的第几次维修了", "我的IMEI {v}"),
    "email": ("有律师朋友可以发邮件到{v}", "资料发我邮箱 {v}"),
    "person_id": ("投诉单上写的身份证号{v}，一直没人处理", "身份证{v}都登记了还不给处理"),
}
PLANTED_EN = {
    "phone": ("contact me at {v} if yours died too",),
    "imei": ("IMEI {v} for the record",),
    "email": ("email me at {v}",),
    "person_id": ("my complaint ID card no. {v}",),
}

# A visit in a long post's timeline.
TIMELINE_ACTION_ZH = {"repair": "修了", "replace": "换了新机", "refund": "退了", "refused": "被拒保",
                      "inspect": "说没问题"}
TIMELINE_ACTION_EN = {"repair": "repaired", "replace": "replaced", "refund": "refunded", "refused": "refused",
                      "inspect": "no fault found"}
