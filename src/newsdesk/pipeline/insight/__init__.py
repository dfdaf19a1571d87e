"""What the articles say: the stages behind the AI features, pure functions of text and vectors.

``sentences`` splits a text into sentences with their offsets; ``summary`` chooses the summary's and the
key points' sentences; ``answer`` finds the sentences that answer a question, or none. The use case that
reads articles, embeds and keeps the results is ``queries/insight.py``.
"""
