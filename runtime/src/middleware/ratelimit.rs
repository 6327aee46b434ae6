//! Server rate limiting: 429 / `ResourceExhausted`, reason `RATELIMIT`.
