"""Cloud Run cost: pricing, usage, recommendations and the one module that changes min instances."""
