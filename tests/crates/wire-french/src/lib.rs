//! A "data" crate of the cross-crate wiring tests: it implements
//! `wire_api::Greeter` and binds its provider to the interface. Nothing
//! references this crate's items, so a binary that wants its provider says
//! `use wire_french as _;`.

/// Greets in French.
pub struct French;

impl wire_api::Greeter for French {
    fn greet(&self, name: &str) -> String {
        format!("Bonjour, {name}")
    }
}

/// Line of the provider's name, for the tests of the startup messages.
pub const PROVIDER_LINE: u32 = line!() + 3;

#[bia::provider(bind = dyn wire_api::Greeter)]
pub fn new_french() -> French {
    French
}
