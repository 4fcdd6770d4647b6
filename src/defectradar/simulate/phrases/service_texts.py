"""What after-sales systems write: fault texts, parts, service-centre names.

Fault texts are short, as a technician types them, in Chinese or English depending on the
centre.  :func:`fault_text_mode` maps any text written here back to its failure mode, which is
how tests check the service records without depending on the text classifier.
"""

from __future__ import annotations

FAULT_TEXTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {   # mode -> (zh, en)
    "wifi": (("WiFi无法打开", "WIFI打不开", "WLAN无法开启", "无线网络故障", "WiFi开关灰色无法开启",
              "搜索不到WiFi", "WiFi模块故障", "无WiFi信号", "WLAN故障"),
             ("WLAN fault", "WiFi cannot be enabled", "No WiFi", "wifi", "Wi-Fi toggle greyed out")),
    "motherboard": (("主板烧毁", "主板故障", "不开机(主板)", "主板短路", "开机卡logo", "反复重启无法开机",
                     "主板损坏"),
                    ("Mainboard failure", "No power on (board)", "Board burnt", "motherboard")),
    "screen_burn_in": (("屏幕烧屏", "屏幕残影", "OLED残影", "屏幕有残影"),
                       ("Screen burn-in", "Image retention")),
    "display": (("屏幕绿线", "屏幕闪烁", "触摸失灵", "屏幕显示异常", "绿屏", "屏幕漏光"),
                ("Display abnormal", "Touch failure", "Green line on display", "Screen flicker")),
    "overheating": (("发热严重", "机身过热", "充电发烫"), ("Overheating", "Device overheats")),
    "battery": (("电池鼓包", "电池续航差", "电池老化", "掉电快"),
                ("Battery swelling", "Battery drain", "battery")),
    "charging": (("无法充电", "充电慢", "尾插接触不良", "无线充电失灵"),
                 ("Not charging", "Charging port fault")),
    "camera": (("相机无法打开", "摄像头模糊", "后摄故障", "前摄黑屏"),
               ("Camera failure", "Rear camera blurry")),
    "audio": (("听筒无声", "扬声器杂音", "麦克风无声", "通话无声"),
              ("No sound", "Speaker distortion", "Mic failure")),
    "software": (("系统卡顿", "软件故障", "频繁死机", "系统异常"), ("Software issue", "System crash")),
    "biometrics": (("指纹识别失灵", "面部识别失败", "屏下指纹失灵"),
                   ("Fingerprint failure", "Face unlock failure")),
    "build": (("后盖开裂", "边框脱胶", "按键失灵", "中框变形"), ("Back cover cracked", "Button stuck")),
    "cellular": (("无服务", "信号差", "无法识别SIM卡", "无法通话"),
                 ("No service", "No signal", "SIM not detected")),
    "other_radio": (("蓝牙故障", "NFC失灵", "GPS定位异常"), ("Bluetooth fault", "NFC failure")),
    "safety": (("充电冒烟", "机身烧焦", "电池起火"), ("Smoke while charging", "Burn marks")),
    "other_defect": (("振动马达故障", "卡托卡住", "红外失灵"), ("Vibration motor fault", "SIM tray stuck")),
}
# Visits of owners whose phone works; none of these names a failure mode.
CHECKUP_TEXTS = ("检测无异常", "检测正常", "未检测到故障", "用户咨询，检测正常", "清洁保养", "No fault found",
                 "NFF", "Checked OK")
# Appended to the fault when a visit found nothing or the centre refused the warranty.
NO_FAULT_SUFFIXES = ("（检测无异常）", "(未复现)", " - NFF")
REFUSAL_SUFFIXES = ("（进水）", "（人为损坏）", "(私拆)", " - liquid damage", " - physical damage")

PARTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "wifi": (("wifi module",), ("mainboard", "wifi module"), ("antenna",)),
    "motherboard": (("mainboard",),),
    "screen_burn_in": (("screen",),),
    "display": (("screen",), ("screen", "frame")),
    "overheating": (("thermal pad",), ()),
    "battery": (("battery",),),
    "charging": (("charging port",), ("charging board",)),
    "camera": (("rear camera",), ("front camera",)),
    "audio": (("speaker",), ("microphone",), ("earpiece",)),
    "software": ((),),
    "biometrics": (("fingerprint sensor",), ("screen",)),
    "build": (("back cover",), ("frame",), ("power button",)),
    "cellular": (("antenna",), ("mainboard",), ("sim tray",)),
    "other_radio": (("antenna",), ("nfc coil",)),
    "safety": (("battery", "mainboard"),),
    "other_defect": (("vibration motor",), ("sim tray",), ("ir blaster",)),
}
BOARD_REPAIR_PARTS = (("mainboard", "wifi module"), ("mainboard",))

# Places per province; a brand has one or two centres in each.
PLACES: dict[str, tuple[str, ...]] = {
    "广东": ("广州天河", "深圳福田", "东莞南城"), "江苏": ("南京新街口", "苏州工业园区"),
    "浙江": ("杭州西湖", "宁波鄞州"), "山东": ("济南历下", "青岛市南"), "北京": ("北京海淀", "北京朝阳"),
    "上海": ("上海徐汇", "上海浦东"), "四川": ("成都武侯", "成都锦江"), "湖北": ("武汉江汉", "武汉洪山"),
}
CENTRE_PATTERNS: dict[str, tuple[str, ...]] = {
    "Xiaomi": ("小米之家授权服务中心（{place}）", "小米授权服务网点·{place}"),
    "Redmi": ("小米之家授权服务中心（{place}）", "小米授权服务网点·{place}"),
    "Huawei": ("华为客户服务中心（{place}）",),
    "Honor": ("荣耀授权服务中心（{place}）",),
    "OPPO": ("OPPO客户服务中心（{place}）",),
    "vivo": ("vivo客户服务中心（{place}）",),
    "OnePlus": ("一加授权服务中心（{place}）",),
    "Apple": ("Apple授权服务提供商·{place}", "Apple Store {place}"),
    "Samsung": ("三星授权服务中心（{place}）",),
}
# Share of a brand's centres that type fault texts in English.
ENGLISH_FAULT_SHARE = {"Apple": 0.6, "Samsung": 0.5}
ENGLISH_FAULT_DEFAULT = 0.15


def centres(brand: str, region: str) -> tuple[str, ...]:
    """The service centres of ``brand`` in ``region`` (every place, every pattern of the brand)."""
    patterns = CENTRE_PATTERNS.get(brand, ("{brand}服务中心（{place}）",))
    return tuple(pattern.format(place=place, brand=brand)
                 for place in PLACES[region] for pattern in patterns)


def _build_lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for mode, (zh, en) in FAULT_TEXTS.items():
        for text in zh + en:
            if table.setdefault(text.casefold(), mode) != mode:
                raise AssertionError(f"fault text {text!r} names two modes")
    return table


_LOOKUP = _build_lookup()


def fault_text_mode(text: str) -> str | None:
    """The failure mode of a fault text written by this simulator, or None (check-ups)."""
    for suffix in NO_FAULT_SUFFIXES + REFUSAL_SUFFIXES:
        if text.endswith(suffix):
            text = text[: -len(suffix)]
            break
    return _LOOKUP.get(text.casefold())
