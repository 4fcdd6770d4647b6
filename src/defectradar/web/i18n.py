"""The dashboard's words in English and Chinese; ``?lang=`` first, then the browser's preference.

Page templates call ``t("key")``.  A key missing from Chinese falls back to English, and one
missing from both shows the key itself, so a new label is never an error page.
"""

from __future__ import annotations

from fastapi import Request

LANGUAGES = ("en", "zh")

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "app": "defectradar", "overview": "Overview", "alerts": "Alerts", "reports": "Reports",
        "products": "Products", "devices": "Devices", "remedies": "Remedies", "policies": "Policies",
        "data": "Data", "api_docs": "API", "log_in": "Log in", "log_out": "Log out", "name": "Name",
        "password": "Password", "login_failed": "Name or password is wrong.", "as_of": "As of",
        "apply": "Apply", "search": "Search", "product": "Product", "mode": "Failure mode", "source": "Source",
        "status": "Status", "score": "Score", "first_seen": "First seen", "last_seen": "Last seen",
        "method": "Method", "count": "Count", "expected": "Expected", "threshold": "Threshold",
        "date": "Date", "text": "Text", "severity": "Severity", "engagement": "Engagement",
        "download_csv": "CSV", "download_png": "PNG", "download_svg": "SVG",
        "empty_store": "The store holds no data yet. Ingest a file (Data page, or `defectradar ingest FILE`) "
                       "or run `defectradar demo`.",
        "no_alerts": "No alerts. Run a scan: `defectradar signals scan`.",
        "no_reports": "No reports match.", "error": "Something went wrong", "back": "Back to the overview",
        "acknowledge": "Acknowledge", "investigate": "Investigate", "close": "Close", "reopen": "Reopen",
        "reason": "Reason", "history": "History", "relabel": "Relabel", "save": "Save",
        "language": "中文",
    },
    "zh": {
        "app": "defectradar 缺陷雷达", "overview": "总览", "alerts": "预警", "reports": "投诉",
        "products": "产品", "devices": "设备", "remedies": "补救", "policies": "政策", "data": "数据",
        "api_docs": "接口", "log_in": "登录", "log_out": "退出", "name": "用户名", "password": "密码",
        "login_failed": "用户名或密码错误。", "as_of": "截至", "apply": "应用", "search": "搜索",
        "product": "产品", "mode": "故障类型", "source": "来源", "status": "状态", "score": "得分",
        "first_seen": "首次出现", "last_seen": "最近出现", "method": "方法", "count": "数量",
        "expected": "期望值", "threshold": "阈值", "date": "日期", "text": "内容", "severity": "严重程度",
        "engagement": "互动量", "download_csv": "CSV", "download_png": "PNG", "download_svg": "SVG",
        "empty_store": "数据库中还没有数据。请在“数据”页上传文件（或运行 `defectradar ingest FILE`），"
                       "或运行 `defectradar demo`。",
        "no_alerts": "暂无预警。运行扫描：`defectradar signals scan`。", "no_reports": "没有符合条件的投诉。",
        "error": "出错了", "back": "返回总览", "acknowledge": "确认", "investigate": "调查", "close": "关闭",
        "reopen": "重新打开", "reason": "原因", "history": "历史", "relabel": "重新标注", "save": "保存",
        "language": "English",
    },
}


def _merge_page_words() -> None:
    from defectradar.web.words import EN, ZH

    for lang, words in (("en", EN), ("zh", ZH)):
        for key, word in words.items():
            WORDS[lang].setdefault(key, word)


_merge_page_words()


def language(request: Request) -> str:
    """``?lang=`` when given, else the first of the browser's Accept-Language we speak, else English."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    cookie = request.cookies.get("dr_lang")
    if cookie in LANGUAGES:
        return cookie
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"


def translator(lang: str):
    words, english = WORDS.get(lang, WORDS["en"]), WORDS["en"]

    def t(key: str) -> str:
        return words.get(key) or english.get(key) or key

    return t
