"""Write-side use cases: the update pass, the enrichment pass, the scheduler that runs them, and the
``extract`` and ``cluster`` commands; each reads state, runs the pipeline's stages, applies their intents."""
