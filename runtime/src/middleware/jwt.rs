//! JWT authentication: server check and client signing; 401 / `Unauthenticated`, reason `UNAUTHORIZED`.
