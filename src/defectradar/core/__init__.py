"""The bottom floor: types and helpers every other part of defectradar shares.

Nothing here imports defectradar beyond :mod:`defectradar.errors` (``tests/test_layers.py``
checks it), so a query can return these types and a method can take them without either
importing the other:

* :mod:`~defectradar.core.estimator`: the estimator contract and parameter constraints;
* :mod:`~defectradar.core.series`: :class:`~defectradar.core.series.CountSeries`;
* :mod:`~defectradar.core.lifetimes`: lifetimes, recurrences and warranty counts;
* :mod:`~defectradar.core.dates`: reading dates, periods and calendar months;
* :mod:`~defectradar.core.numbers`: numbers for JSON and for people;
* :mod:`~defectradar.core.confidence`: the z of a confidence level;
* :mod:`~defectradar.core.identifiers`, :mod:`~defectradar.core.masking`: personal identifiers
  found in text and named instead of shown (every error message is masked with them).
"""
