"""Domain rules: plain functions over models, no request objects; they flush, the caller commits."""
