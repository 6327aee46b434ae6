#[bia::errors(domain = "ui.v1")]
pub enum UserError {
    #[error(code = 404)]
    NotFound(String),
}

fn main() {}
