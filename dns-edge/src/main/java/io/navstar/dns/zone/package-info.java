/**
 * Local zones served authoritatively: immutable {@link io.navstar.dns.zone.ZoneSnapshot}s built by the
 * control plane and swapped copy-on-write through {@link io.navstar.dns.zone.LocalZones} (the
 * {@link io.navstar.dns.zone.ZoneSource} the server reads).
 */
package io.navstar.dns.zone;
