//! [`Selector`]: a middleware applied to some operations only.

use std::fmt;
use std::sync::Arc;

use super::{AnyMessage, Context, Middleware, Next, Reply};
use crate::error::Error;

type Predicate = Arc<dyn Fn(&Context) -> bool + Send + Sync>;

/// Applies a middleware to the operations that match any of its rules
/// (exact operations, prefixes, regular expressions, a predicate; OR-ed);
/// the others go straight on.
///
/// Operations are `/package.Service/Method` (the same on both transports) or
/// the route template of a hand-written HTTP route.
///
/// ```
/// use bia::middleware::{AnyMessage, Context, Next, Selector};
///
/// #[bia::middleware]
/// async fn audit(ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
///     next.run(ctx, req).await
/// }
///
/// let only_writes = Selector::new(audit())
///     .exact("/user.v1.User/CreateUser")
///     .prefix("/admin.v1.")
///     .regex(r"^/user\.v1\.User/(Update|Delete)")
///     .unwrap()
///     .predicate(|ctx| ctx.request_header("x-audit").is_some());
/// assert!(only_writes.matches_operation("/user.v1.User/CreateUser"));
/// assert!(only_writes.matches_operation("/user.v1.User/DeleteUser"));
/// assert!(!only_writes.matches_operation("/user.v1.User/GetUser"));
/// ```
pub struct Selector<M> {
    inner: M,
    exact: Vec<String>,
    prefix: Vec<String>,
    regex: Vec<regex_lite::Regex>,
    predicate: Vec<Predicate>,
}

impl<M> fmt::Debug for Selector<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Selector")
            .field("exact", &self.exact)
            .field("prefix", &self.prefix)
            .field("regex", &self.regex.iter().map(|r| r.as_str()).collect::<Vec<_>>())
            .field("predicates", &self.predicate.len())
            .finish()
    }
}

impl<M: Middleware> Selector<M> {
    /// `inner` for no operation yet: add rules.
    pub fn new(inner: M) -> Self {
        Self { inner, exact: Vec::new(), prefix: Vec::new(), regex: Vec::new(), predicate: Vec::new() }
    }

    /// This operation exactly.
    #[must_use]
    pub fn exact(mut self, operation: impl Into<String>) -> Self {
        self.exact.push(operation.into());
        self
    }

    /// Operations starting with `prefix` (`/user.v1.User/` for a whole service).
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix.push(prefix.into());
        self
    }

    /// Operations the regular expression matches (anywhere: anchor with `^`
    /// and `$`). Fails on an invalid expression, naming it.
    pub fn regex(mut self, pattern: &str) -> Result<Self, Error> {
        let re = regex_lite::Regex::new(pattern).map_err(|e| {
            Error::internal_server(
                crate::error::reason::BAD_SELECTOR,
                format!("invalid selector regex `{pattern}`: {e}"),
            )
        })?;
        self.regex.push(re);
        Ok(self)
    }

    /// Calls for which `f` says yes (it sees the whole context: transport,
    /// side, metadata).
    #[must_use]
    pub fn predicate(mut self, f: impl Fn(&Context) -> bool + Send + Sync + 'static) -> Self {
        self.predicate.push(Arc::new(f));
        self
    }

    /// Whether the operation rules (exact, prefix, regex) match `operation`.
    /// Predicates need a context and are not asked.
    pub fn matches_operation(&self, operation: &str) -> bool {
        self.exact.iter().any(|e| e == operation)
            || self.prefix.iter().any(|p| operation.starts_with(p.as_str()))
            || self.regex.iter().any(|r| r.is_match(operation))
    }

    /// Whether a call with this context is selected.
    pub fn matches(&self, ctx: &Context) -> bool {
        self.matches_operation(ctx.operation()) || self.predicate.iter().any(|p| p(ctx))
    }
}

impl<M: Middleware> Middleware for Selector<M> {
    fn handle<'a>(&'a self, ctx: &'a mut Context, req: AnyMessage, next: Next<'a>) -> Reply<'a> {
        if self.matches(ctx) {
            self.inner.handle(ctx, req, next)
        } else {
            next.run(ctx, req)
        }
    }
}
