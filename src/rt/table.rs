//! Name lists and name -> value tables stored compactly: the names as one NUL-terminated-each
//! string, the values in a plain array. A `&str` array costs 16 bytes of relocated pointer and
//! length per entry on top of the text; here a name costs one terminator byte.

/// Names in one string, each followed by a NUL. Build with [`names!`](crate::names).
#[derive(Clone, Copy)]
pub struct Names(pub &'static str);

impl Names {
    pub fn iter(self) -> core::str::SplitTerminator<'static, char> {
        self.0.split_terminator('\0')
    }

    /// The index of `name`.
    pub fn position(self, name: &str) -> Option<usize> {
        self.iter().position(|n| n == name)
    }

    /// The `i`th name.
    pub fn get(self, i: usize) -> Option<&'static str> {
        self.iter().nth(i)
    }

    /// How many names there are.
    pub fn count(self) -> usize {
        self.0.bytes().filter(|&b| b == 0).count()
    }
}

/// `names!["a", "b"]`: a [`Names`] constant.
#[macro_export]
macro_rules! names {
    ($($name:literal),* $(,)?) => {
        $crate::rt::table::Names(concat!($($name, "\0"),*))
    };
}

/// Values by name. Build with [`table!`](crate::table): `table![("ro", MS_RDONLY), ("nodev", MS_NODEV)]`.
pub struct Table<T: 'static> {
    pub names: Names,
    pub vals: &'static [T],
}

impl<T> Table<T> {
    /// The value of `name`, if the table has it.
    pub fn get(&self, name: &str) -> Option<&'static T> {
        self.names.position(name).and_then(|i| self.vals.get(i))
    }

    /// The names in table order.
    pub fn names(&self) -> core::str::SplitTerminator<'static, char> {
        self.names.iter()
    }
}

/// `table![("name", value), ...]`: a [`Table`] constant.
#[macro_export]
macro_rules! table {
    ($(($name:literal, $val:expr)),* $(,)?) => {
        $crate::rt::table::Table { names: $crate::names![$($name),*], vals: &[$($val),*] }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn lookup_and_names() {
        const T: Table<u8> = crate::table![("a", 1), ("bc", 2), ("", 3)];
        assert_eq!((T.get("a"), T.get("bc"), T.get(""), T.get("x")), (Some(&1), Some(&2), Some(&3), None));
        assert_eq!(T.names().collect::<Vec<_>>(), ["a", "bc", ""]);
        const N: Names = crate::names!["", "x", "yz"];
        assert_eq!((N.position("x"), N.position(""), N.get(2), N.get(3), N.count()), (Some(1), Some(0), Some("yz"), None, 3));
    }
}
