"""``defectradar serve``: the dashboard and the REST API on one port (FastAPI + uvicorn)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from defectradar.backends.base import check_backend_name
from defectradar.cli.common import BackendOption, DbOption, SparkMasterOption, open_store, out
from defectradar.store.connect import Store


def serve(host: Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")] = "127.0.0.1",
          port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
          db: DbOption = None, backend: BackendOption = None, spark_master: SparkMasterOption = None,
          spark_data: Annotated[Optional[str], typer.Option(
              "--spark-data", help="With --backend pyspark: the Parquet export (folder or URI) Spark reads for the "
              "analytic views; the store (--db) keeps accounts, alerts and uploads.", show_default=False)] = None,
          ) -> None:
    """Serve the dashboard and the REST API over a store (created empty if absent); Ctrl-C stops it."""
    store = open_store(db)
    settings = store.settings.replace(backend=backend, spark_master=spark_master, spark_data=spark_data)
    check_backend_name(settings.backend)
    run_server(Store(store.path, settings), host, port)


def run_server(store, host: str, port: int, login: tuple[str, str] | None = None) -> None:
    import uvicorn  # the server's packages load only for this command

    from defectradar.api.app import create_app

    app = create_app(store)
    url = f"http://{host if host not in ('0.0.0.0', '::') else '127.0.0.1'}:{port}/"
    out.print(f"[bold]defectradar[/] serving {store.path} at [link={url}]{url}[/link]  (API: {url}api/v1, "
              f"docs: {url}docs; Ctrl-C stops)")
    if login:
        out.print(f"log in as [bold]{login[0]}[/] with password [bold]{login[1]}[/]")
    else:
        out.print("accounts: defectradar users create NAME --role viewer|analyst|admin")
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)
