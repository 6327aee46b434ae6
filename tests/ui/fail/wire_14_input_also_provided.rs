pub struct Conf {
    pub name: String,
}

bia::wire::input!(Conf);

#[bia::provider]
fn new_conf() -> Conf {
    Conf { name: "default".into() }
}

fn main() {}
