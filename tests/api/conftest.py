from tests.web_fixtures import demo_site, empty_site  # noqa: F401 - fixtures shared with tests/web
