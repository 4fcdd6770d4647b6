"""Building the classifier a command asks for, from settings and options."""

from __future__ import annotations

from pathlib import Path

from defectradar.config import Settings
from defectradar.domain.catalog import Catalog, load_catalog
from defectradar.text import builtin
from defectradar.text.builtin import builtin_model
from defectradar.text.classifier import ComplaintClassifier
from defectradar.text.model import TextModel
from defectradar.text.taxonomy import Taxonomy, load_taxonomy


def build_classifier(settings: Settings, *, catalog: Catalog | str | Path | None = None,
                     taxonomy: Taxonomy | str | Path | None = None, model_dir: str | Path | None = None,
                     learned: bool = True) -> ComplaintClassifier:
    """The classifier for a command.

    ``model_dir`` is a model trained with ``defectradar model train``: when its labels are
    failure modes of the taxonomy it is combined with the rules (a retrained phone model),
    otherwise it is a model for another taxonomy and gives the labels alone.  Without it the
    built-in model is used, unless ``learned`` is False (rules only).
    """
    if not isinstance(catalog, Catalog):
        catalog = load_catalog(catalog or settings.catalog)
    if not isinstance(taxonomy, Taxonomy):
        taxonomy = load_taxonomy(taxonomy or settings.taxonomy)
    if model_dir is not None:
        model = TextModel.load(model_dir)
        if set(model.classes_) <= set(taxonomy.ids):
            return ComplaintClassifier(catalog, taxonomy, model=model)
        return ComplaintClassifier(catalog, taxonomy, custom_model=model)
    return ComplaintClassifier(catalog, taxonomy, model=builtin_model(settings) if learned else None)


def what_loads(settings: Settings, model_dir: str | Path | None = None) -> tuple[str, bool]:
    """What :func:`build_classifier` is about to do, said for the user, and whether it is slow.

    Training the built-in model on first use takes seconds (slow: the user should be told even
    when stderr is not a terminal); loading a saved model takes about two (worth a spinner only).
    """
    if model_dir is not None:
        return f"loading the model in {model_dir}…", False
    if builtin.is_ready(settings):
        return "loading the built-in phone classifier…", False
    folder = builtin.model_folder(settings).parent
    return f"training the built-in phone classifier (first use, a few seconds; cached in {folder})…", True
