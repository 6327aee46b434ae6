#[derive(Debug, Clone, PartialEq, Default)]
pub struct Address {
    pub city: String,
}

#[bia::message(package = "ui.v1")]
pub struct User {
    pub address: Option<Address>,
}

fn main() {}
