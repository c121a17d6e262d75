"""Optional verification of a reporter's phone number by a code sent by SMS."""
