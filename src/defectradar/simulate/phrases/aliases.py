"""Names people give each phone in posts, and the posting clients Weibo shows.

Most mentions use a catalog alias (so a gazetteer built from the catalog can find them); a
tenth use informal names that are not in the catalog (``mi11``, ``小米十一``, ``11u``), as real
posts do.
"""

from __future__ import annotations

import numpy as np

from defectradar.domain.catalog import Product

INFORMAL_ALIASES: dict[str, tuple[str, ...]] = {
    "xiaomi-11": ("mi11", "小米十一", "米十一", "xiaomi 11", "MI11", "米 11"),
    "xiaomi-11-pro": ("11pro", "小米11p", "mi11 pro", "Xiaomi 11 Pro", "米11 pro"),
    "xiaomi-11-ultra": ("11u", "小米11u", "米11 Ultra", "mi11 ultra", "Xiaomi 11 Ultra", "11Ultra"),
    "xiaomi-12": ("mi12", "小米十二", "xiaomi12"),
    "xiaomi-10": ("mi10", "小米十", "米十"),
    "redmi-k40": ("k40", "红米k40", "RedmiK40"),
    "redmi-note-10-pro": ("note10pro", "红米note10pro", "Note 10 Pro"),
    "huawei-mate-40-pro": ("mate40pro", "m40p", "华为mate40p"),
    "huawei-p40": ("p40", "华为p40"),
    "honor-50": ("荣耀50", "honor50"),
    "oppo-find-x3-pro": ("x3pro", "FindX3 Pro", "oppo x3 pro"),
    "vivo-x60-pro": ("x60pro", "vivo x60p"),
    "oneplus-9-pro": ("一加9p", "1+9pro", "OnePlus9 Pro"),
    "iphone-12": ("ip12", "苹果12", "iphone12"),
    "iphone-13": ("ip13", "苹果13", "iphone13"),
    "galaxy-s21": ("s21", "三星s21", "galaxy s21"),
}
BRAND_ZH = {"Xiaomi": "小米", "Redmi": "红米", "Huawei": "华为", "Honor": "荣耀", "OPPO": "OPPO",
            "vivo": "vivo", "OnePlus": "一加", "Apple": "苹果", "Samsung": "三星"}
# Official accounts people @-mention when they complain.
SERVICE_ACCOUNTS = {"Xiaomi": ("小米客服", "小米手机", "雷军", "小米公司"), "Redmi": ("小米客服", "Redmi红米手机"),
                    "Huawei": ("华为终端客服", "华为终端"), "Honor": ("荣耀客服", "荣耀手机"),
                    "OPPO": ("OPPO客服", "OPPO"), "vivo": ("vivo客服", "vivo"), "OnePlus": ("一加手机",),
                    "Apple": ("AppleSupport", "苹果客服"), "Samsung": ("三星客服", "三星手机")}
GENERIC_CLIENTS = ("iPhone客户端", "微博 weibo.com", "Android", "微博轻享版", "HUAWEI Mate 30",
                   "荣耀V30", "iPad客户端", "OPPO Reno6", "vivo X50", "微博视频号")


def alias_for(product: Product, rng: np.random.Generator, english: bool) -> str:
    """A name for ``product`` as a poster writes it."""
    if rng.random() < 0.12:
        names = INFORMAL_ALIASES.get(product.product_id, (product.name,))
    elif english:
        names = tuple(a for a in (product.name, *product.aliases) if a.isascii()) or (product.name,)
    else:
        names = tuple(a for a in (product.name_zh, *product.aliases) if a) or (product.name,)
    return names[int(rng.integers(len(names)))]


def brand_zh(product: Product) -> str:
    return BRAND_ZH.get(product.brand, product.brand)


def client_for(product: Product | None, rng: np.random.Generator, own_device: bool) -> str:
    """The ``source`` Weibo shows: the poster's own phone model or another client."""
    if own_device and product is not None:
        if product.brand == "Apple":
            return product.name
        if product.brand in ("Huawei", "Honor"):
            return product.name.replace("Huawei", "HUAWEI") if rng.random() < 0.5 else (product.name_zh or product.name)
        return product.name_zh or product.name
    return GENERIC_CLIENTS[int(rng.integers(len(GENERIC_CLIENTS)))]
