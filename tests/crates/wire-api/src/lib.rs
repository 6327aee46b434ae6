//! The "biz" crate of the cross-crate wiring tests: it declares the
//! `Greeter` interface and a use case that needs it. The implementations live
//! in `wire-english` and `wire-french`, which depend on this crate, so this
//! crate declares the interface `external!`: its provider is checked at
//! startup, not here.

use std::sync::Arc;

/// Says hello.
pub trait Greeter: Send + Sync {
    /// The greeting for `name`.
    fn greet(&self, name: &str) -> String;
}

bia::wire::external!(dyn Greeter);

/// The use case: welcomes people with whatever greeter is linked.
pub struct Welcome {
    greeter: Arc<dyn Greeter>,
}

impl Welcome {
    /// The welcome line for `name`.
    pub fn welcome(&self, name: &str) -> String {
        format!("{}!", self.greeter.greet(name))
    }
}

/// Line of `new_welcome`'s name, for the tests of the startup messages.
pub const NEW_WELCOME_LINE: u32 = line!() + 3;

#[bia::provider]
pub fn new_welcome(greeter: Arc<dyn Greeter>) -> Welcome {
    Welcome { greeter }
}
