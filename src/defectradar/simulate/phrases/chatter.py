"""Posts that are not defect reports (background chatter) and the viral burst's posts.

Background templates are ``(text, is_owner)``; several name a failure mode only to deny it
(``一点都不发热``, ``no heat issues at all``), which a classifier must not count.  Burst
templates are ``(text, modes)``: non-owners talking about the Mi 11 Wi-Fi and board faults.
"""

from __future__ import annotations

BACKGROUND_ZH: tuple[tuple[str, bool], ...] = (
    ("{p}到手了，快递真快", True), ("{p}降价了{price}块，早买的我哭了", True), ("{p}拍照真不错", True),
    ("{p}续航不错，一天一充够用", True), ("{p}一点都不发热", True), ("用了半年{p}，没有任何问题", True),
    ("{p}和{q}怎么选？", False), ("{brand}客服态度挺好的", True), ("双十一入手{p}，真香", True),
    ("{p}屏幕素质真好", True), ("{p}的WiFi信号很稳，从来没断过", True), ("{p}充电速度太快了", True),
    ("{p}的夜景模式绝了", True), ("{p}现在多少钱？值得买吗", False), ("等{p}再降点价就入", False),
    ("{p}的手感比{q}好太多", True), ("给我妈买了台{p}，她很喜欢", True), ("{p}玩原神一点都不烫", True),
    ("{p}的外放效果不错", True), ("{p}跑分出来了", False), ("618抢到{p}了", True), ("{p}的包装好精致", True),
    ("求推荐{p}的手机壳", True), ("{p}新系统更新了，流畅了不少", True), ("{p}首发抢购，一分钟就没了", False),
    ("{brand}的发布会看完了，{p}还可以", False), ("{p}拍的月亮，没修图", True), ("{p}电池挺耐用的", True),
    ("今天去{brand}之家体验了{p}", False), ("{p}指纹解锁很快", True), ("{p}和{q}拍照对比，各有千秋", False),
    ("{p}的售后服务还不错，贴膜免费", True), ("快递小哥说{p}最近卖得很火", False), ("{p}用了一年了还很流畅", True),
    ("有人用{p}吗？续航怎么样", False), ("{p}的5G信号挺好", True), ("{p}没有烧屏，放心买", True),
    ("客服态度太差了，问{p}的发货时间半天不回", False), ("{p}降到{price}了，冲不冲", False),
    ("{p}的配色好好看", False), ("换了{p}，比{q}流畅多了", True), ("{p}的屏幕很护眼", True),
)
BACKGROUND_EN: tuple[tuple[str, bool], ...] = (
    ("Just got my {p}, delivery was super fast", True), ("Camera on the {p} is amazing", True),
    ("No heat issues at all with my {p}", True), ("Battery life on the {p} is solid", True),
    ("{p} vs {q}, which one should I get?", False), ("{p} dropped to {price} yuan, tempted", False),
    ("Wifi on the {p} has been rock solid", True), ("Six months with the {p}, zero problems", True),
    ("The {p} screen is gorgeous", True), ("Night mode on the {p} is unreal", True),
    ("Anyone using the {p}? how's the battery?", False), ("Unboxing my new {p}", True),
    ("{brand} support was actually helpful today", True), ("Switched from {q} to {p}, much smoother", True),
    ("The {p} charges ridiculously fast", True), ("Thinking about the {p} for my mom", False),
)
BACKGROUND_OPENERS_ZH = ("", "", "", "今天", "终于", "说实话，", "分享一下：", "哈哈，", "记录一下，", "日常，")
BACKGROUND_CLOSERS_ZH = ("", "", "", "！", "~", "，推荐", "，真香", "，满意", "。", "！！")
BACKGROUND_OPENERS_EN = ("", "", "", "Honestly, ", "Update: ", "lol ")
BACKGROUND_CLOSERS_EN = ("", "", "!", " :)", ", recommend", ".")
BACKGROUND_PLANTED_ZH = {"phone": "出二手{p}，有意联系{v}", "email": "求{p}的刷机包，发我邮箱{v}"}
BACKGROUND_PLANTED_EN = {"phone": "selling my {p}, call {v}", "email": "send offers to {v}"}
PRICES = ("200", "300", "500", "800", "1000", "2999", "3299", "3499", "3999", "4299", "4999", "5199")

BURST_ZH: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("小米11 WiFi门上热搜了，这么多人WiFi坏了", ("wifi",)),
    ("{p}的WiFi问题：9月15日起只修主板不换新，网友炸了", ("wifi",)),
    ("{p}烧主板的人怎么这么多", ("motherboard",)),
    ("看了WiFi门的热搜，庆幸自己没买{p}", ("wifi",)),
    ("建议{p}WiFi坏了的用户集体投诉", ("wifi",)),
    ("{p} WiFi门什么时候给个说法", ("wifi",)),
    ("消费者报道：{p}WiFi故障投诉激增", ("wifi",)),
    ("之前{p}WiFi坏了还能换新机，现在只修主板，这也太双标了", ("wifi",)),
    ("我同事的{p}也是WiFi打不开", ("wifi",)),
    ("{p}WiFi打不开、主板烧毁，投诉平台上一大片", ("wifi", "motherboard")),
    ("{p}的主板到底有什么设计缺陷", ("motherboard",)),
    ("身边好几个朋友的{p}都是WiFi坏了", ("wifi",)),
    ("{p}WiFi门：官方回应称属于个别现象", ("wifi",)),
    ("为什么{p}的WiFi会集体坏掉？拆机分析来了", ("wifi",)),
    ("{p}主板烧了不给换新，只能修，这合理吗", ("motherboard",)),
    ("热搜第一：{p}WiFi无法打开", ("wifi",)),
    ("数码博主实测：{p}WiFi故障和主板虚焊有关", ("wifi", "motherboard")),
    ("{p}用户吐槽：WiFi坏了怎么修都修不好", ("wifi",)),
)
BURST_EN: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("So the {p} wifi issue is trending on Weibo now", ("wifi",)),
    ("Xiaomi ended {p} exchanges for the wifi fault, board repair only now", ("wifi",)),
    ("{p} burnt motherboard complaints everywhere", ("motherboard",)),
    ("Glad I skipped the {p} after seeing all these dead wifi posts", ("wifi",)),
    ("Wifi-gate: thousands of {p} units lose wifi, Xiaomi says it's rare", ("wifi",)),
)
# Reporting that media accounts add to their posts.
NEWS_ZH = ("据不完全统计，相关投诉已超过{n}条", "多位用户表示，故障出现在购机一年左右", "记者联系小米客服，对方表示会反馈给相关部门",
           "有律师表示，根据三包规定，多次维修仍无法正常使用的，消费者可以要求换货或退货", "截至发稿，小米官方尚未正式回应",
           "不少用户称，维修后问题再次出现", "该话题阅读量已超过{n}万")
BURST_COMMENTS_ZH = ("", "", "这波操作看不懂", "小米给个说法吧", "心疼米粉", "雷总出来走两步", "等一个官方回应",
                     "质量问题就该换新", "三包法不是摆设", "支持维权", "吃瓜", "离谱", "蹲一个后续", "太离谱了")
BURST_COMMENTS_EN = ("", "", "unbelievable", "Xiaomi needs to fix this", "consumer rights matter")
BURST_OPENERS_ZH = ("", "", "", "笑死，", "离谱，", "刚看到，", "家人们，", "讲真，", "【热议】")
BURST_PRODUCTS = ("小米11", "米11", "小米11系列", "Mi 11", "xiaomi 11", "mi11")
BURST_PRODUCTS_EN = ("Mi 11", "Xiaomi 11", "mi11", "Xiaomi Mi 11")
BURST_TAGS = ("小米11WiFi门", "小米售后", "小米11烧主板", "消费维权")
MEDIA_ACCOUNTS = ("新浪科技", "科技新知", "数码闲聊站", "每日经济新闻", "中国消费者报", "IT之家", "澎湃新闻",
                  "极客公园", "热点速递", "手机评测君")

REPOST_TEXTS_ZH = ("转发微博", "转发微博", "转发微博", "太离谱了", "mark", "支持维权", "扩散", "蹲后续", "+1",
                   "[吃瓜]", "学到了", "难怪")
REPOST_TEXTS_EN = ("Repost", "wow", "this")
BACKGROUND_GENERIC_ZH = (("双十一买什么手机好？", False), ("手机用久了都会卡吧", False), ("今天换了新手机壳", True),
                         ("有没有好用的充电宝推荐", False), ("手机贴膜到底有没有必要", False))
BACKGROUND_GENERIC_EN = (("Which phone should I buy this year?", False), ("New phone case day", True))
