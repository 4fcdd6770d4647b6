"""Our field names, how files name them, and value coercions shared by every format.

A file's columns are matched to our fields in this order: an explicit ``--map field=column``,
a column named exactly like the field, then a known alias (English or Chinese, any case).
Columns that match no field are kept, redacted, in the record's ``extra`` JSON; columns whose
name says they hold personal data (phone, e-mail, name, ID number, address, IMEI) are
replaced by tokens there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from defectradar.core.masking import shown
from defectradar.errors import InputError
from defectradar.ingest.value_maps import FALSE_WORDS, TRUE_WORDS, fix_flag


@dataclass(frozen=True)
class Field:
    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    help: str = ""
    # A required field may be left out when one of these is present instead (a report without
    # text carries the source's own labels: components).
    unless: tuple[str, ...] = ()
    # Only named with --map: a column that merely shares the name may hold other words
    # (a "severity" of high/low), and its rows would be quarantined.
    mapped_only: bool = False


REPORT_FIELDS = (
    Field("text", ("content", "body", "review", "complaint", "complaint_text", "description", "comment", "message",
                   "cdescr", "内容", "正文", "评论内容", "评论", "投诉内容", "描述", "问题描述"), True,
          "the complaint text (required, unless the row has components)", unless=("components",)),
    Field("created_at", ("date", "time", "datetime", "timestamp", "created", "posted_at", "published_at",
                         "received_date", "ldate", "发布时间", "时间", "日期", "评论时间", "投诉时间", "创建时间"),
          False, "when it was posted (NHTSA: received)"),
    Field("source_id", ("id", "post_id", "mid", "complaint_id", "report_id", "odino", "odi_number", "编号",
                        "投诉编号"), False,
          "the source's own id of the record (makes re-ingest idempotent)"),
    Field("product", ("model", "modeltxt", "product_name", "device", "phone", "手机型号", "型号", "产品", "机型",
                      "商品"),
          False, "product as the source names it (with brand: brand and model)"),
    Field("brand", ("make", "maketxt", "品牌"), False, "brand or make, as the source names it"),
    Field("components", ("component", "compdesc", "failure_component", "部件"), False,
          "the source's own labels of what failed, separated by , ; or |"),
    Field("severity", (), False, "the source's severity (only with --map severity=COLUMN): safety (or yes/1) "
          "or none (or no/0)", mapped_only=True),
    Field("crash", ("crashed",), False, "NHTSA-style flag: yes/no or 1/0; yes means severity safety"),
    Field("fire", (), False, "NHTSA-style flag: yes/no or 1/0; yes means severity safety"),
    Field("injuries", ("injured", "injury"), False, "NHTSA-style count; above 0 means severity safety"),
    Field("deaths", ("death", "fatalities"), False, "NHTSA-style count; above 0 means severity safety"),
    Field("author", ("user", "username", "user_name", "screen_name", "nickname", "handle",
                     "用户", "用户名", "昵称", "作者"), False, "author handle (replaced by a token)"),
    Field("title", ("subject", "headline", "标题", "主题"), False, "title, where the source has one"),
    Field("source", ("platform", "site", "channel_name", "来源", "平台"), False,
          "where the record came from when one file mixes sources"),
    Field("region", ("location", "province", "city", "state", "地区", "省份", "城市"), False, "region"),
    Field("lang", ("language", "语言"), False, "language code"),
    Field("url", ("link", "permalink", "链接"), False, "address of the original"),
    Field("device_id", ("imei", "serial", "serial_number", "sn", "vin", "串号", "序列号"), False,
          "the device's IMEI/serial (replaced by a token)"),
    Field("engagement", ("interactions", "互动数"), False, "total likes + shares + comments"),
    Field("likes", ("like_count", "attitudes_count", "点赞数", "点赞"), False, "likes"),
    Field("reposts", ("reposts_count", "shares", "retweets", "转发数", "转发"), False, "shares"),
    Field("comments", ("comments_count", "replies", "回复数", "评论数"), False, "comments"),
    Field("repost_of", ("retweet_of", "reposted_from", "retweeted_id", "转发自", "原微博"), False,
          "the source id of the post this one reposts: a repost counts as engagement, not a complaint"),
)

SERVICE_FIELDS = (
    Field("device_id", ("imei", "serial", "serial_number", "sn", "meid", "设备号", "串号", "序列号", "IMEI号"), True,
          "IMEI or serial (replaced by a token)"),
    Field("product", ("model", "product_name", "机型", "产品", "型号"), False, "product"),
    Field("purchase_date", ("purchased", "sold_date", "sale_date", "invoice_date", "购买日期", "购机日期", "发票日期"),
          False, "purchase date"),
    Field("event_date", ("date", "service_date", "received_date", "repair_date", "服务日期", "送修日期", "日期"),
          True, "date of the service event"),
    Field("fault", ("failure", "problem", "symptom", "fault_description", "故障", "故障描述", "故障现象"), False,
          "fault as recorded"),
    Field("action", ("resolution", "service_type", "处理方式", "处理结果", "服务类型"), True,
          "inspect | repair | replace | refund | refused"),
    Field("parts", ("parts_replaced", "更换配件", "配件"), False, "parts used, separated by ; or ,"),
    Field("days_out_of_service", ("days_out", "repair_days", "维修天数"), False, "days without the device"),
    Field("data_wiped", ("data_lost", "data_loss", "数据清除", "数据清空"), False, "true when user data was erased"),
    Field("center", ("service_center", "store", "网点", "服务网点", "维修点"), False, "service centre"),
    Field("region", ("province", "city", "地区", "省份"), False, "region"),
    Field("channel", ("sales_channel", "渠道", "销售渠道"), False, "sales channel"),
    Field("event_id", ("order_id", "ticket_id", "work_order", "工单号", "服务单号"), False,
          "the record's own id (makes re-ingest idempotent)"),
)

SALES_FIELDS = (
    Field("product", ("model", "product_name", "机型", "产品", "型号"), True, "product"),
    Field("month", ("period", "date", "sales_month", "月份"), True, "YYYY-MM"),
    Field("units", ("quantity", "qty", "sales", "units_sold", "销量", "数量"), True, "units sold"),
    Field("region", ("province", "market", "地区", "省份"), False, "region"),
    Field("channel", ("sales_channel", "渠道"), False, "channel"),
)

# Column names that hold personal data, and the token kind that replaces them.
_PII_COLUMNS = (
    (re.compile(r"e-?mail|邮箱|邮件", re.I), "email"),
    # "phone_model" / "phone_brand" name the product, not a number.  "tel" stands alone or
    # after "_" ("contact_tel") but not inside a word ("hotel"), hence the letter guards.
    (re.compile(r"phone(?!_?(?:model|brand|type|make|maker|series|name|os|version))"
                r"|(?<![a-z])tel(?![a-z])|mobile|手机号|电话|联系方式", re.I), "phone"),
    (re.compile(r"id_?card|id_?number|身份证|证件", re.I), "person_id"),
    # \b would miss "device_sn" ("_" is a word character): guard against letters only.
    (re.compile(r"imei|meid|serial|(?<![a-z])(?:sn|vin)(?![a-z])|device_?id|设备号|串号|序列号",
                re.I), "device"),
    (re.compile(r"address|住址|地址", re.I), "address"),
    # "username" / "user_name" are handles (kind "user", below), not a person's name.
    (re.compile(r"^(customer|contact|owner|full|first|last|real)?_?name$|姓名|联系人|客户名|客户姓名|^customer$|^dealer_?name$", re.I), "name"),  # dealers may be sole traders
    (re.compile(r"user|author|nick|handle|screen_?name|昵称|用户", re.I), "user"),
)


# Parents whose ``name`` names a thing, not a person (``product.name``, ``shop.name``).
_THING_PARENTS = re.compile(r"(?:^|_)(?:product|brand|model|device|goods|item|sku|store|shop|center|centre|"
                            r"company|org|organisation|organization|file|category|tag|topic|region|city|province|"
                            r"country|source|platform|app|client|part|component|fault|status|type|event|policy)s?$",
                            re.I)

# Parents whose ``id`` is a person's account (``buyer.id``); ``order.id`` is not.
_PERSON_PARENTS = re.compile(r"(?:^|_)(?:user|author|owner|buyer|customer|contact|reporter|member|account|"
                             r"consumer|complainant|poster|sender|creator|person|profile)s?$", re.I)


def pii_kind(column: str) -> str | None:
    """The token kind for a column whose name says it holds personal data, else None.

    Nested JSON fields arrive dotted (``contact.name``, ``user.id``): the path is read as one
    name (``contact_name``, ``user_id``), and a bare ``name`` or ``id`` under any parent that
    is not a thing (``buyer.name``), and an ``id`` under a person (``reporter.id``), are personal too.
    """
    joined = column.replace(".", "_")
    for pattern, kind in _PII_COLUMNS:
        if pattern.search(joined):
            return kind
    if "." in column:
        parent, _, leaf = column.rpartition(".")
        parent = parent.rpartition(".")[2]
        if leaf.lower() == "name" and not _THING_PARENTS.search(parent):
            return "name"
        if leaf.lower() in ("id", "idstr", "uid", "mid") and _PERSON_PARENTS.search(parent):
            return "user"
    return None


def parse_mapping(pairs: list[str] | None) -> dict[str, str]:
    """``["text=body", "created_at=date"]`` to ``{"text": "body", ...}``."""
    mapping = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise InputError(f"--map {pair!r}: write it as field=column, e.g. --map text=body")
        name, column = (part.strip() for part in pair.split("=", 1))
        if not name or not column:
            raise InputError(f"--map {pair!r}: both the field and the column are needed")
        mapping[name] = column
    return mapping


def shown_columns(columns: list[str], limit: int = 30) -> str:
    """A file's column names for a one-line message: each cut short, at most ``limit`` of them.

    A file without a header row, or with a runaway first line, has data for "column names".
    """
    def one(name: str) -> str:
        return name if len(name) <= 40 else name[:40] + "…"
    names = ", ".join(one(c) for c in columns[:limit])
    return names + (f" and {len(columns) - limit} more" if len(columns) > limit else "")


def resolve_columns(columns: list[str], fields: tuple[Field, ...], mapping: dict[str, str],
                    where: str) -> dict[str, str]:
    """``{our field: file column}`` for one file; explains any missing or unknown name."""
    known = {f.name for f in fields}
    for name, column in mapping.items():
        if name not in known:
            raise InputError(f"--map {name}={column}: {name!r} is not a field here; fields are "
                             f"{', '.join(sorted(known))}")
        if column not in columns:
            raise InputError(f"--map {name}={column}: {where} has no column {column!r}; its columns "
                             f"are {shown_columns(columns)}")
    lowered = {c.lower().strip(): c for c in columns}
    resolved: dict[str, str] = {}
    taken = set(mapping.values())
    for f in fields:
        if f.name in mapping:
            resolved[f.name] = mapping[f.name]
            continue
        for candidate in () if f.mapped_only else (f.name, *f.aliases):
            column = lowered.get(candidate.lower())
            if column is not None and column not in taken:
                resolved[f.name] = column
                taken.add(column)
                break
    missing = missing_fields(fields, resolved)
    if missing:
        raise MissingColumnsError(where, missing, columns, fields)
    return resolved


def missing_fields(fields: tuple[Field, ...], resolved: dict[str, str]) -> list[str]:
    return [f.name for f in fields
            if f.required and f.name not in resolved and not any(u in resolved for u in f.unless)]


class MissingColumnsError(InputError):
    """A file lacks a column for a required field (the reader words the message for its file)."""

    def __init__(self, where: str, missing: list[str], columns: list[str], fields: tuple[Field, ...]):
        wanted = [f"{name} (or {' or '.join(f.unless)})" if (f := _by_name(fields, name)) and f.unless else name
                  for name in missing]
        super().__init__(f"{where}: no column for {', '.join(wanted)} in the header (line 1); its columns are "
                         f"{shown_columns(columns)}. Name one with --map {missing[0]}=COLUMN")
        self.where, self.missing, self.columns, self.wanted = where, missing, columns, wanted


def _by_name(fields: tuple[Field, ...], name: str) -> Field | None:
    return next((f for f in fields if f.name == name), None)


def apply_mapping(table: pa.Table, resolved: dict[str, str], keep=("_row",)) -> tuple[pa.Table, list[str]]:
    """Rename mapped columns to field names; return the table and the unmapped (extra) columns."""
    by_column = {column: name for name, column in resolved.items()}
    names = []
    extras = []
    for column in table.column_names:
        if column in by_column:
            names.append(by_column[column])
        elif column in keep:
            names.append(column)
        else:
            names.append(f"extra:{column}")
            extras.append(column)
    return table.rename_columns(names), extras


# -- value coercions (vectorised, bad values reported by row index) -------------------------

def is_blank(column: pa.Array) -> pa.Array:
    """True where a value is null or only white space, Unicode spaces (U+3000 ...) included."""
    # An anchored pattern fails at the first visible character, so this stays cheap.
    return pc.fill_null(pc.match_substring_regex(column, r"^[\s\p{Z}\x{feff}]*$"), True)


def blank_to_null(column: pa.Array) -> pa.Array:
    """Null for blank values, the value without surrounding ASCII white space otherwise.

    ASCII trimming is ten times faster than Unicode trimming on big text columns; blank
    detection still knows Unicode spaces.
    """
    column = column.cast(pa.string())
    return pc.if_else(is_blank(column), pa.scalar(None, pa.string()), pc.ascii_trim_whitespace(column))


def field_column(table: pa.Table, name: str) -> pa.Array | None:
    """A batch's column for one of our fields, blanks as null; None when the file lacks it."""
    if name not in table.column_names:
        return None
    return blank_to_null(table.column(name).combine_chunks())


def integer_column(column: pa.Array, field: str, minimum: int | None = 0) -> tuple[pa.Array, dict[int, str]]:
    """Whole numbers (thousands separators allowed); blanks are null, the rest are errors."""
    text = blank_to_null(column)
    cleaned = pc.replace_substring_regex(text, r"[,_\s]", "")
    cleaned = pc.replace_substring_regex(cleaned, r"\.0+$", "")
    cleaned = pc.replace_substring_regex(cleaned, r"^\+", "")  # Arrow's cast refuses "+7"
    ok = pc.fill_null(pc.match_substring_regex(cleaned, r"^[+-]?\d{1,18}$"), True)
    errors = {}
    if not pc.all(ok).as_py():
        for index in pc.indices_nonzero(pc.invert(ok)).to_pylist():
            errors[index] = f"{field} {text[index].as_py()!r} is not a whole number"
    numbers = pc.if_else(ok, cleaned, pa.scalar(None, pa.string())).cast(pa.int64())
    if minimum is not None:
        low = pc.fill_null(pc.less(numbers, minimum), False)
        if pc.any(low).as_py():
            for index in pc.indices_nonzero(low).to_pylist():
                errors[index] = f"{field} {numbers[index].as_py()} is below {minimum}"
            numbers = pc.if_else(low, pa.scalar(None, pa.int64()), numbers)
    return numbers, errors


_TRUE = TRUE_WORDS
_FALSE = FALSE_WORDS


def boolean_column(column: pa.Array, field: str) -> tuple[pa.Array, dict[int, str]]:
    text = pc.utf8_lower(blank_to_null(column))
    true = pc.is_in(text, value_set=pa.array(_TRUE))
    false = pc.is_in(text, value_set=pa.array(_FALSE))
    known = pc.or_(pc.or_(true, false), pc.is_null(text))
    errors = {}
    if not pc.all(known).as_py():
        reasons: dict[str, str] = {}
        for index in pc.indices_nonzero(pc.invert(known)).to_pylist():
            value = column[index].as_py()
            if value not in reasons:
                reasons[value] = (f"{field} {shown(value)} is not yes/no (true/false, yes/no, 1/0, 是/否); map it "
                                  f"with {fix_flag(field, value, 'yes')} (or =no)")
            errors[index] = reasons[value]
    values = pc.if_else(true, True, pc.if_else(false, False, pa.scalar(None, pa.bool_())))
    return values, errors


def list_column(column: pa.Array) -> pa.Array:
    """``"screen; battery"`` to ``["screen", "battery"]`` (separators ; , | 、 and /)."""
    text = blank_to_null(column)
    parts = pc.split_pattern_regex(text, r"\s*[;,|、/，；]\s*")
    return pa.array([None if v is None else [p for p in v if p] or None for v in parts.to_pylist()],
                    pa.list_(pa.string()))


def brand_and_model(table: pa.Table) -> pa.Table:
    """``product`` as brand and model when a file gives them apart (``make`` FORD, ``model``
    Escape -> ``FORD Escape``); a model already naming its brand is kept as it is, and a row
    with a brand but no model gets no product.  ``brand`` itself stays a column of its own.

    Distinct (brand, model) pairs are few, so only they reach Python.
    """
    if "brand" not in table.column_names or "product" not in table.column_names:
        return table
    brand, model = field_column(table, "brand"), field_column(table, "product")
    key = pc.binary_join_element_wise(pc.fill_null(brand, ""), pc.fill_null(model, ""), "\x1f")
    distinct = pc.unique(key)
    names = []
    for pair in distinct.to_pylist():
        make, _, name = pair.partition("\x1f")
        if not name or not make or name.casefold().startswith(make.casefold()):
            names.append(name or None)
        else:
            names.append(f"{make} {name}")
    product = pc.take(pa.array(names, pa.string()), pc.index_in(key, value_set=distinct))
    return table.set_column(table.column_names.index("product"), "product", product)
