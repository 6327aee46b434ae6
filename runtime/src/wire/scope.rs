//! What generated providers are made of: the registry entry each
//! `#[bia::provider]` submits, and the [`Scope`] its build function reads
//! its inputs from. Not public API (reached through `bia::__private::wire`).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use super::{Cleanup, ProvidedBy};
use crate::error::{reason, Error};

/// A type as the registry knows it: its id and its name (for messages).
#[derive(Clone, Copy)]
pub struct Key {
    /// `TypeId::of::<T>`.
    pub id: fn() -> TypeId,
    /// `type_name::<T>`.
    pub name: fn() -> &'static str,
}

impl Key {
    /// The key of `T`.
    pub const fn of<T: ?Sized + 'static>() -> Self {
        Key { id: TypeId::of::<T>, name: std::any::type_name::<T> }
    }
}

/// How a provider takes one of its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// `&T`: borrowed from the shared singleton.
    Ref,
    /// `Arc<T>`: a handle on the shared singleton.
    Arc,
    /// `T`: moved in; the value then has no other consumer.
    Value,
}

/// One input of a provider.
#[derive(Clone, Copy)]
pub struct Dep {
    /// The parameter's name (`repo`).
    pub param: &'static str,
    /// The type it needs.
    pub key: Key,
    /// How it takes it.
    pub by: By,
}

/// Whether an entry builds its value or is supplied at startup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A `#[bia::provider]` function.
    Provider,
    /// A runtime input declared with `bia::wire::input!`.
    Input,
}

/// The future a provider's build function returns.
pub type BuildFuture<'a> = Pin<Box<dyn Future<Output = Result<Built, Error>> + Send + 'a>>;

/// A provider's build function: reads its inputs from the scope, calls the
/// user's constructor.
pub type BuildFn = for<'a> fn(&'a Scope) -> BuildFuture<'a>;

/// One registered provider or runtime input (`#[bia::provider]` and
/// `bia::wire::input!` submit these to `inventory`).
pub struct Provider {
    /// The constructor's name, or the input's type as written.
    pub name: &'static str,
    /// `module_path!()` where it is declared.
    pub module: &'static str,
    /// `file!()` where it is declared.
    pub file: &'static str,
    /// `line!()` where it is declared.
    pub line: u32,
    /// Provider or runtime input.
    pub kind: Kind,
    /// What it provides.
    pub output: Key,
    /// What it needs, in parameter order.
    pub deps: &'static [Dep],
    /// Builds the value (`None` for runtime inputs).
    pub build: Option<BuildFn>,
}

inventory::collect!(Provider);

impl Provider {
    /// `provider `new_db` (src/data.rs:42)`, as messages name it.
    pub(crate) fn describe(&self) -> String {
        match self.kind {
            Kind::Provider => format!("provider `{}` ({}:{})", self.name, self.file, self.line),
            Kind::Input => format!("runtime input `{}` ({}:{})", self.name, self.file, self.line),
        }
    }
}

/// A value in the scope: owned until someone shares it.
pub(crate) enum Slot {
    /// The value itself (`T`).
    Owned(Box<dyn Any + Send>),
    /// An `Arc<T>` (`T` may be unsized: `Arc<dyn Repo>`).
    Shared(Box<dyn Any + Send>),
}

/// What a provider made: the value and its cleanup.
pub struct Built {
    pub(crate) id: TypeId,
    pub(crate) slot: Slot,
    pub(crate) cleanup: Option<Cleanup>,
}

impl Built {
    /// A value of a sized type, moved into the scope.
    pub fn owned<T: Send + 'static>(value: T, cleanup: Option<Cleanup>) -> Self {
        Built { id: TypeId::of::<T>(), slot: Slot::Owned(Box::new(value)), cleanup }
    }

    /// A shared value (`Arc<T>` outputs and `bind = dyn Trait`).
    pub fn shared<T: ?Sized + Send + Sync + 'static>(value: Arc<T>, cleanup: Option<Cleanup>) -> Self {
        Built { id: TypeId::of::<T>(), slot: Slot::Shared(Box::new(value)), cleanup }
    }
}

/// The values built so far, which providers take their inputs from.
pub struct Scope {
    slots: Mutex<HashMap<TypeId, Slot>>,
}

fn absent<T: ?Sized>() -> Error {
    Error::internal_server(
        reason::WIRING,
        format!("`{}` was not built before its consumer", std::any::type_name::<T>()),
    )
}

impl Scope {
    pub(crate) fn new(slots: HashMap<TypeId, Slot>) -> Self {
        Scope { slots: Mutex::new(slots) }
    }

    pub(crate) fn insert(&self, id: TypeId, slot: Slot) {
        self.lock().insert(id, slot);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TypeId, Slot>> {
        // A panic while the lock is held cannot leave the map half-updated
        // (every operation is one insert or remove), so a poisoned lock is fine.
        self.slots.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A handle on the singleton of a sized `T` (for `&T` and `Arc<T>` inputs).
    pub fn shared<T: Send + Sync + 'static>(&self) -> Result<Arc<T>, Error> {
        let mut slots = self.lock();
        let slot = slots.remove(&TypeId::of::<T>()).ok_or_else(absent::<T>)?;
        let arc = match slot {
            Slot::Owned(b) => Arc::new(*b.downcast::<T>().map_err(|_| absent::<T>())?),
            Slot::Shared(b) => *b.downcast::<Arc<T>>().map_err(|_| absent::<T>())?,
        };
        slots.insert(TypeId::of::<T>(), Slot::Shared(Box::new(Arc::clone(&arc))));
        Ok(arc)
    }

    /// A handle on the singleton of an unsized `T` (`Arc<dyn Repo>` inputs).
    pub fn shared_dyn<T: ?Sized + Send + Sync + 'static>(&self) -> Result<Arc<T>, Error> {
        match self.lock().get(&TypeId::of::<T>()) {
            Some(Slot::Shared(b)) => b.downcast_ref::<Arc<T>>().cloned().ok_or_else(absent::<T>),
            _ => Err(absent::<T>()),
        }
    }

    /// Moves the value out (a by-value input; the startup check made sure it
    /// has no other consumer).
    pub fn take<T: Send + 'static>(&self) -> Result<T, Error> {
        let slot = self.lock().remove(&TypeId::of::<T>()).ok_or_else(absent::<T>)?;
        match slot {
            Slot::Owned(b) => b.downcast::<T>().map(|b| *b).map_err(|_| absent::<T>()),
            Slot::Shared(b) => {
                let arc = b.downcast::<Arc<T>>().map_err(|_| absent::<T>())?;
                Arc::try_unwrap(*arc).map_err(|_| {
                    Error::internal_server(
                        reason::WIRING,
                        format!(
                            "`{}` is taken by value but was supplied as a shared `Arc` that is still held elsewhere",
                            std::any::type_name::<T>()
                        ),
                    )
                })
            }
        }
    }
}

/// Turns a provider's error into the runtime's error (keeping a `bia::Error` as is).
pub fn provider_error<E: Into<Box<dyn std::error::Error + Send + Sync>>>(e: E) -> Error {
    let boxed: Box<dyn std::error::Error + Send + Sync> = e.into();
    match boxed.downcast::<Error>() {
        Ok(e) => *e,
        Err(other) => Error::internal_server(reason::PROVIDER_FAILED, other.to_string()).with_cause(other),
    }
}

/// The compile-time check of one input: `(&&Need::<T>::new()).need().done()`
/// passes when something provides `T` (`ProvidedBy<_>`) or `T` is declared
/// [`External`](super::External); otherwise it is the "no provider found"
/// error, at the parameter.
pub struct Need<T: ?Sized>(PhantomData<T>);

impl<T: ?Sized> Default for Need<T> {
    fn default() -> Self {
        Need::new()
    }
}

impl<T: ?Sized> Need<T> {
    /// The check of `T`.
    pub const fn new() -> Self {
        Need(PhantomData)
    }
}

/// The check passed without looking for a provider (`T` is external).
pub struct Skip;

impl Skip {
    /// Nothing left to check.
    pub fn done(self) {}
}

/// The check of a type that is not external: a provider must be in sight.
pub struct Check<T: ?Sized>(PhantomData<T>);

impl<T: ?Sized> Check<T> {
    /// Requires a provider of `T`.
    pub fn done<Provider>(self)
    where
        T: ProvidedBy<Provider>,
    {
    }
}

/// First choice of the check (by auto-ref): an external type.
pub trait ViaExternal {
    /// Skips the provider lookup.
    fn need(&self) -> Skip {
        Skip
    }
}

impl<T: ?Sized + super::External> ViaExternal for &Need<T> {}

/// Second choice of the check: look for a provider.
pub trait ViaProvided {
    /// The checked type.
    type Of: ?Sized;
    /// Looks for a provider.
    fn need(&self) -> Check<Self::Of> {
        Check(PhantomData)
    }
}

impl<T: ?Sized> ViaProvided for Need<T> {
    type Of = T;
}

/// Each provider calls this with its output: two providers of one type in
/// sight make `Provider` ambiguous, a compile error at both that lists them.
pub fn one_provider_per_type<T: ?Sized + ProvidedBy<Provider>, Provider>() {}
