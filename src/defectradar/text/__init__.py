"""Understanding complaint texts: normalisation, language, products, failure modes and the rest.

The entry point is :class:`defectradar.text.classifier.ComplaintClassifier`.
"""
