//! Client circuit breaker (Google SRE adaptive throttling): 503 / `Unavailable`, reason `CIRCUITBREAKER`.
