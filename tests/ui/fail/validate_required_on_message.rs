#[bia::message(package = "ui.v1")]
pub struct Address {
    pub city: String,
}

#[bia::message(package = "ui.v1")]
pub struct User {
    #[validate(required)]
    pub address: Address,
}

fn main() {}
