#[bia::errors(domain = "ui.v1")]
pub enum UserError {
    #[error(code = 700)]
    NotFound,
}

fn main() {}
