"""The AI features with a language model: what it writes, checked against the articles, kept, and counted.

``writer.py`` turns articles into a prompt of numbered, screened sentences, calls the model within the
daily token budget, keeps only the sentences the cited sources support, and stores the result; ``jobs.py``
runs that in the background so a page never waits on a model. Without a model (or past the budget, or when
the endpoint fails) the facade answers with the extractive features of ``queries/insight.py``.
"""
