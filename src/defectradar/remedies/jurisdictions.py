"""Which rule sets' jurisdiction a device's region or country falls under.

Rule sets name a jurisdiction (``CN``, ``EU``).  Devices name where they were sold in many
ways: an ISO country code, an EU member state, a Chinese province as the simulator and Weibo
give it.  Member states resolve to ``EU`` because EU directives are the rule sets shipped; a
national rule set (``DE``) would win over ``EU`` when one is added.
"""

from __future__ import annotations

EU_MEMBER_STATES = ("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
                    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE")
#: Mainland provinces, regions and municipalities (short names), for regions written in Chinese.
CN_PROVINCES = ("北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽",
                "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州",
                "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆")
_ALIASES = {"CHINA": "CN", "中国": "CN", "中国大陆": "CN", "PRC": "CN", "EUROPE": "EU", "EUROPEAN UNION": "EU",
            "欧盟": "EU"}


def jurisdiction_of(region: str | None, known) -> str | None:
    """The known jurisdiction ``region`` falls under, or None when no rule set covers it."""
    if region is None:
        return None
    text = str(region).strip()
    code = _ALIASES.get(text.upper(), _ALIASES.get(text, text.upper()))
    if code in known:
        return code
    if code in EU_MEMBER_STATES and "EU" in known:
        return "EU"
    if any(text.startswith(p) for p in CN_PROVINCES) and "CN" in known:
        return "CN"
    return None
