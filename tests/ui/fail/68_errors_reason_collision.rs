#[bia::errors(domain = "ui.v1")]
pub enum UserError {
    HttpError,
    HTTPError,
}

fn main() {}
