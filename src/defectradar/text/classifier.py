"""The complaint classifier: rules and a learned model combined, plus every extracted fact.

For each failure mode of the taxonomy:

* a rule hit labels the mode (source ``rule``, or ``rule+model`` when the model agrees; the
  confidence is the larger of the two);
* otherwise the model labels it when its probability reaches ``model_threshold``
  (source ``model``), unless the rules saw the mode only negated ("一点都不发热") — a
  negation the rules understand outranks a model that only sees n-grams;
* ``safety`` as a mode also sets ``severity`` to ``safety``.

The rules and model of the phone taxonomy read only reports about phones
(:mod:`defectradar.text.subject`): a report about a vehicle or an appliance gets no phone mode,
and its source's own labels (``components``), when it has any, become its failure modes
(source ``source``).  With a custom model (``--model DIR``, any taxonomy), the model alone
gives the labels, whatever the report is about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

from defectradar.domain.catalog import Catalog, builtin_catalog
from defectradar.text import extract
from defectradar.text.kind import FAILURE, kind_of
from defectradar.text.language import detect_language
from defectradar.text.normalise import normalise
from defectradar.text.products import ProductMatcher, ProductMention
from defectradar.text.rules import RuleClassifier
from defectradar.text.subject import Subject, read_subject, source_modes, text_subject
from defectradar.text.taxonomy import Taxonomy, builtin_taxonomy

if TYPE_CHECKING:
    from defectradar.text.model import TextModel

MODEL_THRESHOLD = 0.6
UNCONFIRMED_THRESHOLD = 0.85   # chosen by cross-validation on the training data, not on data/eval
PRODUCT_MIN_CONFIDENCE = 0.5
CLEARED_THRESHOLD = 0.85    # the rules found faults only denied, asked about or hearsay: the model must be sure
NEGATION_OVERRIDE = 0.95    # the model may overrule a rule negation of the same mode only when this sure
PHONE_TAXONOMY = "phones"   # the built-in taxonomy's name (and that of any copy of it)
SOURCE_LABEL = "source"     # label source of modes taken from the source's own labels


@dataclass(frozen=True)
class ReportContext:
    """What a report's other fields say about its text (all optional).

    ``source`` is its source type or name (``nhtsa``), ``catalog_category`` the category of
    the catalog its structured product field resolved in, ``product_name`` that field (brand
    and model), ``components`` the source's own labels (NHTSA COMPDESC).
    """

    source: str | None = None
    catalog_category: str | None = None
    product_name: str | None = None
    components: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModeLabel:
    mode: str
    confidence: float
    source: str            # rule | model | rule+model | analyst
    kind: str = FAILURE    # failure (it broke) or complaint (works, worse than expected): docs/labelling.md

    def to_dict(self) -> dict:
        return {"mode": self.mode, "confidence": round(self.confidence, 3), "source": self.source,
                "kind": self.kind}


@dataclass
class Classification:
    text: str
    lang: str | None
    products: list[ProductMention] = field(default_factory=list)
    failure_modes: list[ModeLabel] = field(default_factory=list)
    severity: str | None = None
    repeat_repairs: int | None = None
    data_loss: bool = False
    is_owner: bool | None = None
    subject: Subject | None = None     # about a phone? (None: not asked, a custom model read it)

    @property
    def product_id(self) -> str | None:
        """The product the text is about; None when it names none, or several equally (ambiguous)."""
        if not self.products or self.products[0].confidence < PRODUCT_MIN_CONFIDENCE:
            return None
        top = self.products[0]
        tied = [p for p in self.products[1:] if p.confidence >= top.confidence]
        if any(p.start == top.start for p in tied):
            return None          # one name, several products: ambiguous
        # Several products named equally surely (a comparison): the first named is the subject.
        return min([top, *tied], key=lambda p: p.start).product_id

    @property
    def product_confidence(self) -> float | None:
        return self.products[0].confidence if self.product_id else None

    @property
    def modes(self) -> list[str]:
        return [m.mode for m in self.failure_modes]

    def to_dict(self) -> dict:
        return {"text": self.text, "lang": self.lang, "products": [p.to_dict() for p in self.products],
                "failure_modes": [m.to_dict() for m in self.failure_modes], "severity": self.severity,
                "repeat_repairs": self.repeat_repairs, "data_loss": self.data_loss, "is_owner": self.is_owner,
                "subject": None if self.subject is None else self.subject.to_dict()}


class ComplaintClassifier:
    """Everything defectradar reads from a complaint text.

    Parameters
    ----------
    catalog, taxonomy
        Product catalog and failure-mode taxonomy (built-in ones when None).
    model
        The learned model combined with the rules (the built-in one, or None for rules only).
    custom_model
        A model trained with ``defectradar model train`` for another taxonomy; when given,
        its labels are the failure modes and the rules are not used.

    Examples
    --------
    >>> c = ComplaintClassifier(model=None).classify(["小米11又烧主板了，返厂三次，资料全没了"])[0]
    >>> (c.product_id, c.modes, c.repeat_repairs, c.data_loss)
    ('xiaomi-11', ['motherboard'], 3, True)
    """

    def __init__(self, catalog: Catalog | None = None, taxonomy: Taxonomy | None = None,
                 model: TextModel | None = None, custom_model: TextModel | None = None,
                 model_threshold: float = MODEL_THRESHOLD,
                 unconfirmed_threshold: float = UNCONFIRMED_THRESHOLD):
        self.catalog = catalog or builtin_catalog()
        self.taxonomy = taxonomy or builtin_taxonomy()
        self.products = ProductMatcher(self.catalog)
        self.rules = RuleClassifier(self.taxonomy)
        self.model = model
        self.custom_model = custom_model
        self.model_threshold = model_threshold
        self.unconfirmed_threshold = unconfirmed_threshold
        self._safety_modes = {m.id for m in self.taxonomy.modes if m.severity == "safety"}
        self._mode_ids = self.taxonomy.ids      # a property that builds a tuple: read once
        self._columns: dict[str, int] = {}
        self._columns_of = None
        # Only the phone reader is kept off texts about other products: a taxonomy of one's own
        # (vehicle rules) or a custom model reads whatever it is given.
        self._reads_phones = custom_model is None and self.taxonomy.name == PHONE_TAXONOMY

    @property
    def version(self) -> str:
        """Identifies what produced a label: catalog, taxonomy and model."""
        model = "custom" if self.custom_model is not None else ("builtin" if self.model is not None else "rules")
        return f"catalog:{self.catalog.digest}/taxonomy:{self.taxonomy.digest}/{model}"

    def classify(self, texts: Sequence[str], contexts: Sequence[ReportContext | None] | None = None
                 ) -> list[Classification]:
        """Classify many texts at once (the learned model runs vectorised over the batch).

        ``contexts`` (parallel to ``texts``) tells what each report's other fields say: its
        source, its structured product, the source's own labels.
        """
        texts = [t or "" for t in texts]
        normal = [normalise(t) for t in texts]
        matches = [n.match for n in normal]
        count = len(texts)
        probabilities = None
        active = self.custom_model or self.model
        if active is not None and texts:
            # Python floats once per batch, not a numpy scalar per mode and text.
            probabilities = active.predict_proba(matches, normalised=True).tolist()
        # Each reader runs over the whole batch before the next one: its patterns and tables stay
        # in the CPU caches (every reader in turn on one text, text after text, cost ~25% more).
        langs = [detect_language(n.display) for n in normal]
        products = [self.products.find(match) for match in matches]
        context_of = (lambda index: contexts[index]) if contexts is not None else (lambda index: None)
        subjects: list[Subject | None] = [None] * count
        if self._reads_phones:
            subjects = [self._subject(match, context_of(index)) for index, match in enumerate(matches)]
        modes: list[list[ModeLabel]] = []
        for index, match in enumerate(matches):
            row = None if probabilities is None else probabilities[index]
            subject = subjects[index]
            if self.custom_model is not None:
                modes.append(self._custom_labels(row))
            elif subject is None or subject.phone:
                modes.append(self._combined_labels(match, row))
            else:
                context = context_of(index)
                modes.append([ModeLabel(mode, 1.0, SOURCE_LABEL)
                              for mode in source_modes(context.components if context else ())])
                if self.catalog.about_phones:
                    products[index] = []    # phone names in a text about a car are something else
        if self._reads_phones:
            for index, match in enumerate(matches):
                if modes[index] and (subjects[index] is None or subjects[index].phone):
                    kind = kind_of(match)
                    modes[index] = [ModeLabel(m.mode, m.confidence, m.source,
                                              FAILURE if m.mode in self._safety_modes else kind)
                                    for m in modes[index]]
        repeats = [extract.repeat_repairs(match) for match in matches]
        losses = [extract.data_loss(match) for match in matches]
        owners = [extract.author_is_owner(match) for match in matches]
        results = []
        for index, text in enumerate(texts):
            failure_modes = modes[index]
            results.append(Classification(
                text=text, lang=langs[index], products=products[index], failure_modes=failure_modes,
                severity="safety" if any(m.mode in self._safety_modes for m in failure_modes) else None,
                repeat_repairs=repeats[index], data_loss=losses[index], is_owner=owners[index],
                subject=subjects[index]))
        return results

    @staticmethod
    def _subject(match: str, context: ReportContext | None) -> Subject:
        if context is None:
            return text_subject(match)
        return read_subject(match, source=context.source, catalog_category=context.catalog_category,
                            product_name=context.product_name)

    def _custom_labels(self, row) -> list[ModeLabel]:
        model = self.custom_model
        if model.multilabel_:
            pairs = [(c, float(p)) for c, p in zip(model.classes_, row) if p >= model.threshold]
        else:
            best = max(range(len(row)), key=lambda i: row[i])
            pairs = [(model.classes_[best], float(row[best]))]
        return [ModeLabel(mode, p, "model") for mode, p in sorted(pairs, key=lambda x: -x[1])]

    def _combined_labels(self, match: str, row) -> list[ModeLabel]:
        rules = self.rules.classify(match)
        model_p = {}
        if row is not None and self.model is not None:
            # Every model label needs at least the lowest threshold below: the modes the model
            # puts under it can only matter where the rules found them (most texts: none).
            floor = min(NEGATION_OVERRIDE, self.model_threshold)
            classes = self.model.classes_
            model_p = {classes[c]: p for c, p in enumerate(row) if p >= floor}     # row: Python floats
            for mode in rules.modes:
                column = self._model_columns().get(mode)
                if column is not None:
                    model_p[mode] = row[column]
        labels = []
        cleared = not rules.modes and bool(rules.negated)
        unconfirmed = not rules.modes   # the rules saw no fault: only a sure model may call it a complaint
        for mode in self._mode_ids:
            if mode not in model_p and mode not in rules.modes:
                continue       # no rule hit, no model probability that could reach a threshold
            p = model_p.get(mode, 0.0)
            if mode in rules.modes:
                source = "rule+model" if p >= self.model_threshold else "rule"
                labels.append(ModeLabel(mode, max(rules.modes[mode], p), source))
                continue
            needed = NEGATION_OVERRIDE if mode in rules.negated else (
                max(CLEARED_THRESHOLD, self.model_threshold) if cleared else
                max(self.unconfirmed_threshold, self.model_threshold) if unconfirmed else self.model_threshold)
            if p >= needed:
                labels.append(ModeLabel(mode, p, "model"))
        return sorted(labels, key=lambda m: -m.confidence)

    def _model_columns(self) -> dict[str, int]:
        """Class -> column of the built-in model's probabilities (the last, as dict(zip()) keeps)."""
        classes = self.model.classes_
        if self._columns_of is not classes:    # the model may be swapped after construction
            self._columns = {c: i for i, c in enumerate(classes)}
            self._columns_of = classes
        return self._columns
