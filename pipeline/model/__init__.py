"""The model tiers: the vLLM client, backpressure, the attempt policy, prompts, answer checks,
rendering at a token budget and the speech client."""
