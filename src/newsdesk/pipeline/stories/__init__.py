"""Story stages: new articles → embeddings, near-duplicate folds, stories, hashtags, categories and regions."""
