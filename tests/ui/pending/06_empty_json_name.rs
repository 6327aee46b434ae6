// PENDING: this misuse currently COMPILES (the macros accept it).
// Move it to ui/fail/ once the macros reject it.

#[bia::message(package = "ui.v1")]
pub struct User {
    #[field(json_name = "")]
    pub id: String,
}

fn main() {}
