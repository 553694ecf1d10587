"""Planning: a tier and a visual token budget for every chunk (routing, budget policy, Gemma 4
geometry). Pure functions of the chunk, the request and the configured tiers."""
