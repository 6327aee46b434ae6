#[bia::message(package = "ui.v1")]
pub struct User {
    #[validate(each(length(max = 8)))]
    pub name: String,
}

fn main() {}
