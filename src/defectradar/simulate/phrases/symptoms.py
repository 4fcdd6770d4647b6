"""How owners describe each failure mode: Chinese (with slang) and English clauses.

An entry is a clause, or ``(clause, other_modes)`` when the clause also names other modes
(``WiFi和蓝牙都打不开`` is Wi-Fi and other radio); the truth of a post lists every mode its
clauses name.  English clauses are full sentences that follow "my <phone>:" or stand alone.
"""

from __future__ import annotations

SYMPTOMS_ZH: dict[str, tuple] = {
    "wifi": (
        "WiFi打不开", "wifi开关点不动", "WLAN开关是灰的", "WiFi突然就没了", "wifi死活连不上",
        "搜不到任何WiFi", "wifi的MAC地址变成了02:00:00:00:00:00", "WiFi一直在转圈开不了",
        "无线网络用不了", "wifi模块坏了", ("WiFi和蓝牙都打不开", ("other_radio",)), "开机以后WiFi自动关闭",
        "wlan无法开启", "WiFi图标直接消失了", "连不上家里的wifi", "wifi寄了", "WiFi G了",
        "wifi歇菜了", "WiFi开关开了又自己弹回去", "只能用流量，WiFi彻底挂了", "热点和WiFi都开不了",
        "wifi列表一片空白", "WiFi按钮灰色的点不了", "无线局域网打不开", "wifi莫名其妙坏了",
        "WiFi断了就再也开不了", "wifi时好时坏，现在彻底开不了", "wifi凉了",
    ),
    "motherboard": (
        "主板烧了", "主板烧坏了", "直接烧主板", "突然黑屏开不了机，说是主板坏了", "直接变砖",
        "充着电就关机再也开不了", "卡米了（一直卡在MI的logo）", "无限重启", "主板又坏了",
        "开不了机，售后说主板烧了", "用着用着突然死机然后就开不了机", "主板短路", "开机就卡logo",
        "手机直接黑屏变砖头", "主板挂了", "一夜之间变砖", "放在桌上自己关机开不了了", "主版烧了",
        "反复重启进不了系统", "按电源键毫无反应，主板问题",
    ),
    "screen_burn_in": (
        "烧屏了", "屏幕有残影", "状态栏烧屏", "键盘残影去不掉", "OLED烧屏", "屏幕上有导航栏的影子",
        "灰色背景能看到残影", "才用几个月就烧屏", "屏幕残影越来越明显", "微信的图标烧在屏幕上了",
    ),
    "display": (
        "屏幕绿屏", "屏幕一直闪", "屏幕出现一条绿线", "触屏失灵", "屏幕漏光", "屏幕发绿",
        "屏幕乱跳", "屏幕出现彩色竖线", "触摸屏乱点", "屏幕半边没反应", "亮度低的时候屏幕闪烁",
        "屏幕突然花屏",
    ),
    "overheating": (
        "发烫严重", "烫手", "玩个游戏烫得能煎蛋", "火龙888名不虚传", "发热降频", "充电的时候很烫",
        "刷个视频都发烫", "拍照几分钟就提示温度过高", "夏天根本没法用，太烫了", "后背烫得握不住",
        "导航半小时就过热", "暖手宝实锤",
    ),
    "battery": (
        "电池不耐用", "掉电快", "续航崩了", "电池鼓包", "一天三充", "掉电飞快", "电量跳电",
        "电池健康掉得厉害", "满电用半天就没了", "待机一晚掉30%", "电量一会50一会20", "电池顶起了后盖",
    ),
    "charging": (
        "充不进电", "充电巨慢", "充电口接触不良", "无线充电失灵", "插上充电器没反应", "快充变慢充",
        "充电一会充一会不充", "充电提示异常",
    ),
    "camera": (
        "相机打不开", "摄像头进灰", "拍照模糊", "相机黑屏", "镜头起雾", "后置摄像头对不上焦",
        "打开相机就闪退", "长焦摄像头坏了", "拍照全是紫边和噪点", "相机提示无法连接",
    ),
    "audio": (
        "听筒没声音", "扬声器破音", "麦克风没声音对方听不到", "通话有杂音", "外放滋滋响",
        "打电话对方说听不清", "耳机孔没声音", "音量最大也很小",
    ),
    "software": (
        "系统卡顿", "频繁死机", "更新系统后一堆bug", "应用闪退", "自动重启", "卡成PPT",
        "MIUI更新以后卡得要死", "桌面经常卡死", "系统无响应", "后台一直杀进程",
    ),
    "biometrics": (
        "指纹识别失灵", "屏下指纹解锁不了", "面部识别用不了", "指纹老是识别失败", "指纹录不进去",
        "人脸解锁时灵时不灵",
    ),
    "build": (
        "后盖开裂", "边框掉漆", "按键失灵", "屏幕和中框开胶", "电源键卡住了", "后盖自己裂了",
        "中框变形", "音量键按不动",
    ),
    "cellular": (
        "没信号", "信号差到打不了电话", "一直显示无服务", "5G信号时有时无", "识别不到SIM卡",
        "打电话老是断", "地铁里完全没信号", "信号格经常变成叉",
    ),
    "other_radio": (
        "蓝牙连不上", "NFC刷不了公交卡", "GPS定位漂移", "蓝牙耳机老断连", "NFC失灵", "导航定位不准",
    ),
    "safety": (
        "充电时冒烟了", "手机差点自燃", "闻到一股烧焦的味道", "电池起火了", "充电口烧黑了",
    ),
    "other_defect": (
        "振动马达坏了", "SIM卡槽卡住拔不出来", "红外遥控失灵", "震动变得很奇怪", "闪光灯不亮",
    ),
}

SYMPTOMS_EN: dict[str, tuple] = {
    "wifi": (
        "the wifi won't turn on", "wifi toggle is greyed out", "WLAN is stuck off", "it can't find any wifi networks",
        "wifi MAC address shows 02:00:00:00:00:00", "the wifi just died", "no wifi at all anymore",
        ("wifi and bluetooth are both dead", ("other_radio",)), "wifi switch flips back off by itself",
        "wifi is completely gone, living on mobile data", "the wifi module is dead",
        "wi-fi stopped working out of nowhere", "wifi keeps spinning and never turns on",
        "can't even turn on the hotspot or the wifi",
    ),
    "motherboard": (
        "the motherboard fried", "it's bricked, board is dead", "it died while charging and won't power on",
        "stuck on the MI logo, bootloop", "it won't turn on at all, motherboard gone", "the board burnt out",
        "it randomly shut down and never came back", "dead motherboard", "the logic board died",
        "it keeps rebooting and never boots",
    ),
    "screen_burn_in": (
        "screen burn-in", "the keyboard is burnt into the screen", "status bar burn-in",
        "ghost images all over the display", "OLED burn-in after a few months",
    ),
    "display": (
        "green line down the screen", "the display flickers", "touch stopped responding",
        "green tint on the screen", "screen flickering at low brightness", "half the screen is unresponsive",
    ),
    "overheating": (
        "it overheats", "gets super hot", "hot enough to fry an egg", "thermal throttling all the time",
        "too hot to hold while charging", "camera shuts off because of heat",
    ),
    "battery": (
        "battery drains super fast", "battery is swelling", "battery health dropped like a rock",
        "can't get through half a day on a charge", "battery percentage jumps around",
    ),
    "charging": (
        "it won't charge", "charging port is loose", "wireless charging stopped working",
        "fast charging no longer works",
    ),
    "camera": (
        "camera app crashes", "photos are all blurry", "camera shows a black screen",
        "dust inside the camera lens", "rear camera won't focus",
    ),
    "audio": (
        "the speaker crackles", "mic doesn't work, nobody can hear me", "no sound from the earpiece",
        "static noise during calls",
    ),
    "software": (
        "it lags like crazy", "random reboots", "apps crash all the time", "the last update made it buggy",
        "it freezes several times a day",
    ),
    "biometrics": (
        "fingerprint sensor doesn't work", "face unlock fails", "in-display fingerprint stopped working",
    ),
    "build": (
        "the back glass cracked by itself", "power button is stuck", "the frame is bending",
        "screen is separating from the frame",
    ),
    "cellular": (
        "no signal", "no service half the day", "SIM not detected", "calls keep dropping",
    ),
    "other_radio": (
        "bluetooth keeps disconnecting", "NFC stopped working", "GPS drifts everywhere",
    ),
    "safety": (
        "it started smoking while charging", "smelled burning plastic from the phone", "the charging port got scorched",
    ),
    "other_defect": (
        "vibration motor died", "SIM tray is stuck", "the flashlight stopped working",
    ),
}


def clause_modes(entry) -> tuple[str, tuple[str, ...]]:
    """``(clause, other modes it names)`` for an entry of the banks above."""
    if isinstance(entry, tuple):
        return entry[0], entry[1]
    return entry, ()


# How owners describe the defects of ``parameters.UNNAMED_DEFECTS``, by defect id: words that no
# rule of the built-in taxonomy knows (tests/simulate check that the rules give them no mode).
UNNAMED_SYMPTOMS_ZH: dict[str, tuple] = {
    "x12-odour": (
        "后盖一股刺鼻的胶水味", "机身有股胶水味，熏得头疼", "拆开包装就是一股刺鼻的胶水味", "有股怪味，闻着像胶水",
        "胶水味越来越重", "拿在手里全是胶水味", "打游戏的时候胶水味更大了", "胶水味散不掉，放了两个星期还有",
        "晚上放枕边被胶水味熏醒", "一股化学品的味道，刺鼻", "闻着刺鼻，像劣质胶水", "胶水味熏得眼睛疼",
        "手机壳拿掉一闻，全是胶水味", "玩一会儿胶水味就出来了",
    ),
}
UNNAMED_SYMPTOMS_EN: dict[str, tuple] = {
    "x12-odour": (
        "the back smells strongly of glue", "there's a strong glue smell coming from the back",
        "it gives off a chemical glue smell", "the glue smell gives me a headache",
        "it smells like cheap glue, even after two weeks", "the glue smell gets worse when gaming",
        "a nasty chemical smell from the phone", "the glue smell won't go away", "it reeks of glue",
    ),
}
