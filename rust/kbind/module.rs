// SPDX-License-Identifier: GPL-2.0
//! References to other modules: pinning one while we use its code, and
//! loading one on demand.

use super::bindings;
use kernel::prelude::*;
use kernel::ThisModule;

/// A counted reference to a module: it cannot be unloaded until dropped.
pub struct ModuleRef(&'static ThisModule);

impl ModuleRef {
    /// Takes a reference to `module`; `None` if it is being unloaded.
    pub fn get(module: &'static ThisModule) -> Option<Self> {
        // SAFETY: `module` is a live module (it registered something
        // with us and unregisters it before going away).
        unsafe { bindings::lvs_try_module_get(module.as_ptr().cast()) }.then_some(Self(module))
    }
}

impl ModuleRef {
    /// Another reference to the same module.
    pub fn try_clone(&self) -> Option<Self> {
        Self::get(self.0)
    }
}

impl Drop for ModuleRef {
    fn drop(&mut self) {
        // SAFETY: taken in `get`.
        unsafe { bindings::lvs_module_put(self.0.as_ptr().cast()) };
    }
}

/// Asks modprobe to load module `name` and waits for it
/// (`request_module`); may sleep.
pub fn request(name: &str) -> Result {
    let mut buf = [0u8; 64];
    let bytes = name.as_bytes();
    if bytes.len() >= buf.len() || bytes.contains(&0) {
        return Err(EINVAL);
    }
    buf[..bytes.len()].copy_from_slice(bytes);
    // SAFETY: `buf` is NUL-terminated; the helper formats it with "%s".
    kernel::error::to_result(unsafe { bindings::lvs_request_module(buf.as_ptr().cast()) })
}
