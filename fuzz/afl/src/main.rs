//! `bia-fuzz-afl TARGET`: one of `bia_fuzz::TARGETS` under AFL++ (in
//! persistent mode; a panic is reported as a crash).

fn main() {
    let name = std::env::args().nth(1).unwrap_or_default();
    let Some(target) = bia_fuzz::target(&name) else {
        let names: Vec<&str> = bia_fuzz::TARGETS.iter().map(|(n, _)| *n).collect();
        eprintln!("usage: bia-fuzz-afl TARGET, one of: {}", names.join(" "));
        std::process::exit(2);
    };
    afl::fuzz!(|data: &[u8]| target(data));
}
