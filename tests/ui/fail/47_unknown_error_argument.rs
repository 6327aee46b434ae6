#[bia::errors(domain = "ui.v1")]
pub enum UserError {
    #[error(status = 404)]
    NotFound,
}

fn main() {}
