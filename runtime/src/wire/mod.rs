//! Dependency wiring: `#[bia::provider]` constructors, gathered by
//! `inventory`, built into the application in dependency order.
//!
//! Kratos wires its layers with Google Wire, a code generator. Bia has no
//! generation step: each `#[bia::provider]` function registers itself, and
//! the compiler checks what it can see.
//!
//! ```
//! use std::sync::Arc;
//! use bia::wire::{Cleanup, Injector};
//!
//! pub struct Config { pub dsn: String }
//! bia::wire::input!(Config); // supplied at startup
//!
//! pub struct Db { pub dsn: String }
//! pub trait UserRepo: Send + Sync { fn name(&self) -> String; }
//! pub struct SqlRepo { db: Arc<Db> }
//! impl UserRepo for SqlRepo { fn name(&self) -> String { format!("users@{}", self.db.dsn) } }
//! pub struct UserUseCase { repo: Arc<dyn UserRepo> }
//!
//! #[bia::provider]
//! async fn new_db(conf: &Config) -> Result<(Db, Cleanup), std::io::Error> {
//!     let db = Db { dsn: conf.dsn.clone() };
//!     Ok((db, Cleanup::sync(|| println!("db closed"))))
//! }
//!
//! #[bia::provider(bind = dyn UserRepo)]
//! fn new_repo(db: Arc<Db>) -> SqlRepo {
//!     SqlRepo { db }
//! }
//!
//! #[bia::provider]
//! fn new_use_case(repo: Arc<dyn UserRepo>) -> UserUseCase {
//!     UserUseCase { repo }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> bia::Result<()> {
//! let wired = Injector::new().supply(Config { dsn: "sqlite::memory:".into() }).build::<UserUseCase>().await?;
//! assert_eq!(wired.repo.name(), "users@sqlite::memory:");
//! wired.cleanup().await; // prints "db closed"
//! # Ok(()) }
//! ```
//!
//! # What users write
//! - `#[bia::provider]` on a constructor `[async] fn new_x(a: &A, b: Arc<B>, c: C) -> R`:
//!   inputs by reference (`&A`), shared (`Arc<B>`, also `Arc<dyn Trait>`) or
//!   moved in (`C`, for a value with one consumer, such as a server the App
//!   takes). `R` is `X`, `Arc<X>`, `Result<X, E>`, `(X, Cleanup)` or
//!   `Result<(X, Cleanup), E>`, with `E` any error type (`bia::Error`,
//!   `std::io::Error`, `anyhow::Error`, `String`...).
//! - `#[bia::provider(bind = dyn Trait)]` provides `X` as `Arc<dyn Trait>`:
//!   consumers ask for the interface. Binding is never implicit; returning
//!   `Arc<dyn Trait>` from a provider is the explicit form.
//! - [`input!`]`(Config)` declares a runtime input (config, a logger made in
//!   `main`), supplied with [`Injector::supply`]. [`external!`]`(dyn Trait)`
//!   declares an interface whose provider lives in a crate this one does not
//!   depend on (see below).
//! - [`Injector`] (or [`App::autowire`](crate::App::autowire) for an App)
//!   builds a root from everything registered; `supply(value)` also replaces
//!   a provider in tests, and the replaced provider's own inputs are then not
//!   built.
//!
//! Every value is a singleton: built once, shared as an `Arc`.
//!
//! # Type checks are compile time, collection is link time
//! What the compiler sees, it checks where you wrote it:
//! - an input nothing provides: ``no provider found for `Db` `` at the
//!   parameter (the [`ProvidedBy`] marker trait each provider implements);
//! - two providers of one type in sight of each other: an error at both,
//!   listing them (``multiple impls satisfying `Db: ProvidedBy<_>` ``);
//! - a `bind = dyn Trait` the type does not implement, at the binding;
//! - a signature the injector cannot call, at the token at fault.
//!
//! Providers are collected when the binary is linked (`inventory`), so a
//! crate the binary never references is not linked and its providers are not
//! there. A crate that only contributes providers needs one line in the
//! binary: `use that_crate as _;`. What the compiler cannot see is checked
//! once at startup, before anything is built, with Wire's messages naming the
//! whole chain:
//!
//! ```text
//! no provider found for `app::Db`
//!     needed by `app::Repo` in provider `new_repo` (src/data.rs:42)
//!     needed by `bia::app::App` in provider `new_app` (src/main.rs:10)
//! multiple bindings for `app::Db`
//!     current: provider `new_other_db` (src/other.rs:3)
//!     previous: provider `new_db` (src/data.rs:12)
//! cycle for `app::A`: `app::A` (provider `new_a` (src/a.rs:1)) -> `app::B` (provider `new_b` (src/b.rs:1)) -> `app::A`
//! runtime input `app::Config` (declared at src/conf.rs:9) was not supplied
//! ```
//!
//! # Interfaces across crates
//! In the layered layout, `biz` declares `trait UserRepo` and `data`
//! implements it, depending on `biz`. A provider in `biz` that needs
//! `Arc<dyn UserRepo>` cannot see `data`'s provider, so `biz` says so once:
//! `bia::wire::external!(dyn UserRepo);`. Its consumers then compile, and the
//! startup check makes sure a provider is linked.
//!
//! # Lifecycle
//! The build runs level by level: every provider of a level needs only values
//! of earlier levels, and the providers of a level run concurrently (async
//! providers overlap their waits). Cleanups run in reverse order of
//! construction ([`Wired::cleanup`], or when an autowired App stops). If a
//! provider fails or panics, the cleanups of everything already built run
//! before the error, which names the provider and its `file:line`.

mod plan;
#[doc(hidden)]
pub mod scope;

use std::any::TypeId;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::FutureExt as _;

use crate::error::{reason, Error};
use scope::{Key, Provider, Scope, Slot};

/// Implemented for every type something provides: by each
/// `#[bia::provider]` (with a marker type named after the function as `P`)
/// and each [`input!`]. The compile-time checks of provider inputs look for
/// it; you never implement it by hand.
#[diagnostic::on_unimplemented(
    message = "no provider found for `{Self}`",
    label = "nothing provides `{Self}`",
    note = "add `#[bia::provider]` to a constructor returning `{Self}`, or declare it as a runtime input with `bia::wire::input!({Self});` and supply it at startup",
    note = "if a crate this one does not depend on provides it (an interface implemented downstream), declare it with `bia::wire::external!({Self});`: the startup check then finds its provider"
)]
pub trait ProvidedBy<P> {}

/// An interface provided by a crate this one cannot see; declared with
/// [`external!`], checked at startup instead of at compile time.
pub trait External {}

/// Declares runtime inputs: values made before wiring (the config, a logger
/// made in `main`) and handed over with [`Injector::supply`]. Declare each
/// type once; providers may then take it like any provided value.
///
/// ```
/// #[derive(serde::Deserialize)]
/// pub struct Bootstrap { pub name: String }
/// bia::wire::input!(Bootstrap);
///
/// pub struct Greeting(String);
///
/// #[bia::provider]
/// fn new_greeting(conf: &Bootstrap) -> Greeting {
///     Greeting(format!("hello {}", conf.name))
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> bia::Result<()> {
/// let g = bia::wire::Injector::new().supply(Bootstrap { name: "bia".into() }).build::<Greeting>().await?;
/// assert_eq!(g.0, "hello bia");
/// # Ok(()) }
/// ```
#[macro_export]
#[doc(hidden)]
macro_rules! __wire_input {
    ($($ty:ty),+ $(,)?) => {$(
        const _: () = {
            #[allow(non_camel_case_types)]
            pub struct runtime_input {}
            impl $crate::wire::ProvidedBy<runtime_input> for $ty {}
            // Declared once, and not also made by a provider.
            #[allow(dead_code)]
            fn __bia_checks() {
                $crate::__private::wire::one_provider_per_type::<$ty, _>();
            }
            $crate::__private::inventory::submit! {
                $crate::__private::wire::Provider {
                    name: ::core::stringify!($ty),
                    module: ::core::module_path!(),
                    file: ::core::file!(),
                    line: ::core::line!(),
                    kind: $crate::__private::wire::Kind::Input,
                    output: $crate::__private::wire::Key::of::<$ty>(),
                    deps: &[],
                    build: ::core::option::Option::None,
                }
            }
        };
    )+};
}

#[doc(inline)]
pub use crate::__wire_input as input;

/// Declares interfaces provided by a crate this one does not depend on (the
/// `data` crate implementing `biz`'s repository trait): providers here may
/// take them, and the startup check makes sure a provider is linked.
///
/// ```
/// pub trait UserRepo: Send + Sync {}
/// bia::wire::external!(dyn UserRepo);
///
/// pub struct UserUseCase { repo: std::sync::Arc<dyn UserRepo> }
///
/// #[bia::provider] // compiles: `dyn UserRepo` comes from another crate
/// fn new_use_case(repo: std::sync::Arc<dyn UserRepo>) -> UserUseCase {
///     UserUseCase { repo }
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// // Nothing in this program provides it: the startup check says so.
/// let err = bia::wire::Injector::new().check::<UserUseCase>().unwrap_err();
/// assert!(err.message().contains("no provider found for `dyn "), "{}", err.message());
/// # }
/// ```
#[macro_export]
#[doc(hidden)]
macro_rules! __wire_external {
    ($($ty:ty),+ $(,)?) => {$(
        impl $crate::wire::External for $ty {}
    )+};
}

#[doc(inline)]
pub use crate::__wire_external as external;

type CleanupFn = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// What a provider hands back to undo its work at stop (close a pool, flush
/// a tracer): return `(X, Cleanup)` or `Result<(X, Cleanup), E>`.
///
/// ```
/// use bia::wire::Cleanup;
///
/// pub struct Pool;
/// impl Pool { async fn close(&self) {} }
///
/// #[bia::provider]
/// fn new_pool() -> (std::sync::Arc<Pool>, Cleanup) {
///     let pool = std::sync::Arc::new(Pool);
///     let closing = pool.clone();
///     (pool, Cleanup::new(move || async move { closing.close().await }))
/// }
/// ```
#[must_use = "a cleanup does nothing unless it is returned with its value or run"]
pub struct Cleanup(CleanupFn);

impl Cleanup {
    /// An async cleanup.
    pub fn new<F, Fut>(f: F) -> Self
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Cleanup(Box::new(move || Box::pin(f())))
    }

    /// A blocking-free synchronous cleanup.
    pub fn sync<F: FnOnce() + Send + 'static>(f: F) -> Self {
        Cleanup::new(move || {
            f();
            std::future::ready(())
        })
    }

    /// Runs it; a panic is caught and logged.
    pub async fn run(self) {
        let fut = std::panic::AssertUnwindSafe(async move { (self.0)().await });
        if let Err(panic) = fut.catch_unwind().await {
            tracing::error!("a cleanup panicked: {}", panic_message(&*panic));
        }
    }
}

impl std::fmt::Debug for Cleanup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cleanup")
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    match (p.downcast_ref::<&str>(), p.downcast_ref::<String>()) {
        (Some(s), _) => (*s).to_owned(),
        (_, Some(s)) => s.clone(),
        _ => "a panic without a message".to_owned(),
    }
}

/// The cleanups of a build, in construction order; [`Cleanups::run`] runs
/// them in reverse.
#[derive(Default)]
#[must_use = "cleanups do nothing unless run"]
pub struct Cleanups(Vec<(String, Cleanup)>);

impl Cleanups {
    /// Runs every cleanup, the last built first.
    pub async fn run(self) {
        for (who, c) in self.0.into_iter().rev() {
            tracing::debug!("cleanup of {who}");
            c.run().await;
        }
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Cleanups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.iter().map(|(who, _)| who)).finish()
    }
}

/// A built root and the cleanups of everything built for it.
pub struct Wired<T> {
    value: T,
    cleanups: Cleanups,
}

impl<T> Wired<T> {
    /// The value and its cleanups, to run yourself.
    pub fn into_parts(self) -> (T, Cleanups) {
        (self.value, self.cleanups)
    }

    /// Runs the cleanups (the last built first) and returns the value.
    pub async fn cleanup(self) -> T {
        self.cleanups.run().await;
        self.value
    }
}

/// Shows the type and the cleanups (whether or not `T` is `Debug`).
impl<T> std::fmt::Debug for Wired<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wired").field("value", &std::any::type_name::<T>()).field("cleanups", &self.cleanups).finish()
    }
}

impl<T> std::ops::Deref for Wired<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> std::ops::DerefMut for Wired<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

/// Builds a root from the registered providers and the supplied values.
///
/// ```
/// pub struct Clock(u64);
/// #[bia::provider]
/// fn new_clock() -> Clock { Clock(1) }
///
/// pub struct Report(String);
/// #[bia::provider]
/// fn new_report(clock: &Clock) -> Report { Report(format!("t={}", clock.0)) }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> bia::Result<()> {
/// let real = bia::wire::Injector::new().build::<Report>().await?;
/// assert_eq!(real.0, "t=1");
/// // In a test, replace a provider: `new_clock` does not run.
/// let fake = bia::wire::Injector::new().supply(Clock(42)).build::<Report>().await?;
/// assert_eq!(fake.0, "t=42");
/// # Ok(()) }
/// ```
pub struct Injector {
    registry: Vec<&'static Provider>,
    supplied: HashMap<TypeId, Slot>,
}

impl Default for Injector {
    fn default() -> Self {
        Injector::new()
    }
}

impl std::fmt::Debug for Injector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Injector")
            .field("providers", &self.registry.iter().map(|p| p.describe()).collect::<Vec<_>>())
            .field("supplied", &self.supplied.len())
            .finish()
    }
}

impl Injector {
    /// An injector over every provider linked into the program.
    pub fn new() -> Self {
        Injector { registry: inventory::iter::<Provider>.into_iter().collect(), supplied: HashMap::new() }
    }

    /// Supplies a value of `T`: a runtime input, or a replacement for `T`'s
    /// provider (whose own inputs are then not built).
    pub fn supply<T: Send + 'static>(mut self, value: T) -> Self {
        self.supplied.insert(TypeId::of::<T>(), Slot::Owned(Box::new(value)));
        self
    }

    /// Supplies a shared value, such as an `Arc<dyn Trait>` test double.
    pub fn supply_shared<T: ?Sized + Send + Sync + 'static>(mut self, value: Arc<T>) -> Self {
        self.supplied.insert(TypeId::of::<T>(), Slot::Shared(Box::new(value)));
        self
    }

    /// The startup check alone: whether `T` can be built, without building
    /// anything. The error lists every problem.
    pub fn check<T: ?Sized + 'static>(&self) -> Result<(), Error> {
        self.plan(Key::of::<T>()).map(drop)
    }

    fn plan(&self, root: Key) -> Result<plan::Plan, Error> {
        let supplied: HashSet<TypeId> = self.supplied.keys().copied().collect();
        plan::plan(&self.registry, &supplied, root).map_err(|problems| {
            Error::internal_server(reason::WIRING, format!("cannot wire `{}`:\n{}", (root.name)(), problems.join("\n")))
        })
    }

    /// Checks, then builds `T` and everything it needs, level by level. If a
    /// provider fails, what was built is cleaned up before the error returns.
    pub async fn build<T: Send + 'static>(self) -> Result<Wired<T>, Error> {
        let plan = self.plan(Key::of::<T>())?;
        let scope = Scope::new(self.supplied);
        let mut cleanups = Cleanups::default();
        for level in &plan.levels {
            let results = futures_util::future::join_all(level.iter().map(|p| run_provider(p, &scope))).await;
            let mut failed = None;
            for (p, result) in level.iter().zip(results) {
                match result {
                    Ok(built) => {
                        scope.insert(built.id, built.slot);
                        if let Some(c) = built.cleanup {
                            cleanups.0.push((p.describe(), c));
                        }
                    }
                    Err(e) => {
                        failed.get_or_insert(e);
                    }
                }
            }
            if let Some(e) = failed {
                cleanups.run().await;
                return Err(e);
            }
        }
        match scope.take::<T>() {
            Ok(value) => Ok(Wired { value, cleanups }),
            Err(e) => {
                cleanups.run().await;
                Err(e)
            }
        }
    }
}

async fn run_provider(p: &'static Provider, scope: &Scope) -> Result<scope::Built, Error> {
    let Some(build) = p.build else {
        return Err(Error::internal_server(reason::WIRING, format!("{} has no constructor", p.describe())));
    };
    let failed = |e: Error| {
        let message = format!("{} failed: {}", p.describe(), e.message());
        Error::new(e.code(), e.reason().to_owned(), message).with_cause(e)
    };
    match std::panic::AssertUnwindSafe(build(scope)).catch_unwind().await {
        Ok(Ok(built)) => Ok(built),
        Ok(Err(e)) => Err(failed(e)),
        Err(panic) => Err(Error::internal_server(
            reason::PROVIDER_PANICKED,
            format!("{} panicked: {}", p.describe(), panic_message(&*panic)),
        )),
    }
}
