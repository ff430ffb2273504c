//! A small typed representation of the WGSL this crate generates, printed with `Display`.
//!
//! It covers only what the network kernels need: scalar and `vec4` types, literals,
//! arithmetic, calls, `let`/`var`, assignments, `if` and counted `for` loops, and
//! functions. Building code from these values (instead of pasting strings around) keeps
//! the generator's structure visible and the printed code consistently formatted.

use std::fmt::{self, Display, Formatter};

/// A WGSL type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// `f32`.
    F32,
    /// `u32`.
    U32,
    /// `bool`.
    Bool,
    /// `vec4<f32>`.
    Vec4F32,
    /// `vec4<u32>`.
    Vec4U32,
    /// The kernel's lane type alias `V` (`f32` or `vec4<f32>`).
    Lane,
    /// The kernel's lane index type alias `VU` (`u32` or `vec4<u32>`).
    LaneU,
    /// `array<V, n>`.
    LaneArray(u32),
    /// `array<VU, n>`.
    LaneUArray(u32),
    /// A named type (a struct or alias).
    Named(&'static str),
}

impl Display for Ty {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Ty::LaneArray(n) => return write!(f, "array<V, {n}>"),
            Ty::LaneUArray(n) => return write!(f, "array<VU, {n}>"),
            Ty::Named(name) => name,
            Ty::F32 => "f32",
            Ty::U32 => "u32",
            Ty::Bool => "bool",
            Ty::Vec4F32 => "vec4<f32>",
            Ty::Vec4U32 => "vec4<u32>",
            Ty::Lane => "V",
            Ty::LaneU => "VU",
        })
    }
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `>`
    Gt,
    /// `<`
    Lt,
    /// `|`
    Or,
    /// `<<`
    Shl,
    /// `/` on integers is `Div`; `%` is this.
    Rem,
    /// `^`
    Xor,
}

impl Display for BinOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Gt => ">",
            BinOp::Lt => "<",
            BinOp::Or => "|",
            BinOp::Shl => "<<",
            BinOp::Rem => "%",
            BinOp::Xor => "^",
        })
    }
}

/// An expression. Binary expressions are always parenthesised when nested.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// An `f32` literal, printed so that it parses back to the same bits.
    F32(f32),
    /// A `u32` literal.
    U32(u32),
    /// A name: a variable, constant or parameter.
    Name(String),
    /// `lhs op rhs`.
    Binary(Box<Expr>, BinOp, Box<Expr>),
    /// `-expr`.
    Neg(Box<Expr>),
    /// `function(args...)` or a type constructor.
    Call(String, Vec<Expr>),
    /// `base[index]`.
    Index(Box<Expr>, Box<Expr>),
    /// `base.member` (a vector component or struct field).
    Member(Box<Expr>, &'static str),
}

impl Expr {
    /// A name.
    pub fn name(name: impl Into<String>) -> Expr {
        Expr::Name(name.into())
    }

    /// A call.
    pub fn call(function: impl Into<String>, args: Vec<Expr>) -> Expr {
        Expr::Call(function.into(), args)
    }

    /// `self op rhs`.
    pub fn bin(self, op: BinOp, rhs: Expr) -> Expr {
        Expr::Binary(Box::new(self), op, Box::new(rhs))
    }

    /// `self + rhs`.
    pub fn plus(self, rhs: Expr) -> Expr {
        self.bin(BinOp::Add, rhs)
    }

    /// `self * rhs`.
    pub fn times(self, rhs: Expr) -> Expr {
        self.bin(BinOp::Mul, rhs)
    }

    /// `self[index]`.
    pub fn index(self, index: Expr) -> Expr {
        Expr::Index(Box::new(self), Box::new(index))
    }

    /// `self.member`.
    pub fn member(self, member: &'static str) -> Expr {
        Expr::Member(Box::new(self), member)
    }

    /// The sum of `terms` as a left-to-right chain (`a + b + c`, no nesting parentheses).
    pub fn sum(terms: Vec<Expr>) -> Expr {
        Expr::Call(String::new(), terms)
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::F32(v) => write_f32(f, *v),
            Expr::U32(v) => write!(f, "{v}u"),
            Expr::Name(n) => f.write_str(n),
            Expr::Binary(l, op, r) => {
                write_operand(f, l)?;
                write!(f, " {op} ")?;
                write_operand(f, r)
            }
            Expr::Neg(e) => {
                f.write_str("-")?;
                write_operand(f, e)
            }
            // The empty-named call is a flat sum (see `Expr::sum`).
            Expr::Call(name, args) if name.is_empty() => {
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" + ")?;
                    }
                    write_operand(f, a)?;
                }
                Ok(())
            }
            Expr::Call(name, args) => {
                write!(f, "{name}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
            Expr::Index(b, i) => {
                write_operand(f, b)?;
                write!(f, "[{i}]")
            }
            Expr::Member(b, m) => {
                write_operand(f, b)?;
                write!(f, ".{m}")
            }
        }
    }
}

/// Writes a sub-expression, parenthesised unless it is atomic.
fn write_operand(f: &mut Formatter<'_>, e: &Expr) -> fmt::Result {
    match e {
        Expr::Binary(..) | Expr::Neg(_) => write!(f, "({e})"),
        Expr::Call(name, _) if name.is_empty() => write!(f, "({e})"),
        Expr::F32(v) if v.is_sign_negative() => write!(f, "({e})"),
        _ => write!(f, "{e}"),
    }
}

/// An `f32` literal with an `f` suffix, using the shortest decimal that round-trips.
fn write_f32(f: &mut Formatter<'_>, v: f32) -> fmt::Result {
    debug_assert!(v.is_finite(), "models are validated finite");
    let text = format!("{v:?}"); // shortest round-trip form: "0.1", "1e-7", "-2.5"
    if text.contains(['.', 'e']) {
        write!(f, "{text}f")
    } else {
        write!(f, "{text}.0f")
    }
}

/// A statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    /// `let name = value;`
    Let(String, Expr),
    /// `var name: ty = value;`
    Var(String, Ty, Expr),
    /// `target = value;`
    Assign(Expr, Expr),
    /// `if (cond) { body }`
    If(Expr, Vec<Stmt>),
    /// `for (var i = 0u; i < end; i++) { body }`
    For(String, Expr, Vec<Stmt>),
    /// `// text`
    Comment(String),
    /// `return value;`
    Return(Expr),
}

impl Stmt {
    /// `let name = value;`
    pub fn let_(name: impl Into<String>, value: Expr) -> Stmt {
        Stmt::Let(name.into(), value)
    }
}

/// A function definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// Doc lines printed as `//` comments above the function.
    pub doc: Vec<String>,
    /// The function's name.
    pub name: String,
    /// Parameters and their types.
    pub params: Vec<(String, Ty)>,
    /// The return type, if any.
    pub ret: Option<Ty>,
    /// The body.
    pub body: Vec<Stmt>,
}

impl Display for Function {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for line in &self.doc {
            writeln!(f, "// {line}")?;
        }
        write!(f, "fn {}(", self.name)?;
        for (i, (n, t)) in self.params.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{n}: {t}")?;
        }
        f.write_str(")")?;
        if let Some(ret) = self.ret {
            write!(f, " -> {ret}")?;
        }
        f.write_str(" {\n")?;
        write_block(f, &self.body, 1)?;
        f.write_str("}\n")
    }
}

fn write_block(f: &mut Formatter<'_>, body: &[Stmt], depth: usize) -> fmt::Result {
    let pad = "    ".repeat(depth);
    for stmt in body {
        match stmt {
            Stmt::Let(n, v) => writeln!(f, "{pad}let {n} = {v};")?,
            Stmt::Var(n, t, v) => writeln!(f, "{pad}var {n}: {t} = {v};")?,
            Stmt::Assign(t, v) => writeln!(f, "{pad}{t} = {v};")?,
            Stmt::Comment(c) => writeln!(f, "{pad}// {c}")?,
            Stmt::Return(v) => writeln!(f, "{pad}return {v};")?,
            Stmt::If(cond, then) => {
                writeln!(f, "{pad}if ({cond}) {{")?;
                write_block(f, then, depth + 1)?;
                writeln!(f, "{pad}}}")?;
            }
            Stmt::For(i, end, body) => {
                writeln!(f, "{pad}for (var {i} = 0u; {i} < {end}; {i}++) {{")?;
                write_block(f, body, depth + 1)?;
                writeln!(f, "{pad}}}")?;
            }
        }
    }
    Ok(())
}

/// A module-scope constant: `const name: ty = value;`.
#[derive(Debug, Clone, PartialEq)]
pub struct Const {
    /// The constant's name.
    pub name: String,
    /// Its type.
    pub ty: Ty,
    /// Its value.
    pub value: Expr,
}

impl Display for Const {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(f, "const {}: {} = {};", self.name, self.ty, self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_round_trip() {
        for v in [
            0.1f32,
            1e-7,
            -2.5,
            1.0,
            3.4028235e38,
            1.1754944e-38,
            123456.79,
        ] {
            let printed = Expr::F32(v).to_string();
            let text = printed.trim_start_matches('(').trim_end_matches(')');
            let parsed: f32 = text.trim_end_matches('f').parse().unwrap();
            assert_eq!(parsed.to_bits(), v.to_bits(), "{printed}");
        }
        assert_eq!(Expr::F32(1.0).to_string(), "1.0f");
        assert_eq!(Expr::U32(7).to_string(), "7u");
    }

    #[test]
    fn prints_nested_code() {
        let e = Expr::name("x").times(Expr::F32(-0.5)).plus(Expr::F32(2.0));
        assert_eq!(e.to_string(), "(x * (-0.5f)) + 2.0f");
        let s = Expr::sum(vec![Expr::name("a"), Expr::name("b").times(Expr::F32(3.0))]);
        assert_eq!(s.to_string(), "a + (b * 3.0f)");
        let f = Function {
            doc: vec!["doc".into()],
            name: "g".into(),
            params: vec![("x".into(), Ty::Lane)],
            ret: Some(Ty::Lane),
            body: vec![Stmt::If(
                Expr::name("x").bin(BinOp::Gt, Expr::F32(0.0)),
                vec![Stmt::Assign(Expr::name("y"), Expr::U32(1))],
            )],
        };
        assert_eq!(
            f.to_string(),
            "// doc\nfn g(x: V) -> V {\n    if (x > 0.0f) {\n        y = 1u;\n    }\n}\n"
        );
    }
}
