# SPDX-License-Identifier: GPL-3.0-or-later
"""Protocol servers shared by the device kinds (written once, configured per device)."""
