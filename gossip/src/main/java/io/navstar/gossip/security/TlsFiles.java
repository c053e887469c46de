package io.navstar.gossip.security;

import java.nio.file.Path;

/**
 * The files of mutual TLS: this node's certificate chain (PEM), its private key (PKCS#8 PEM) and
 * the CA certificate(s) (PEM) that every peer's certificate must chain to. Both ends present a
 * certificate and both verify the other's; peers are addressed by IP, so the chain to the CA, not
 * a host name, is what is checked.
 */
public record TlsFiles(Path certificateChain, Path privateKey, Path trustedCertificates) {
}
