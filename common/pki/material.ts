/** The PEM texts a TLS peer needs: whom to trust, and who it is. */
export interface TlsMaterial {
  /** The CA certificate(s) to trust. */
  caPem: string;
  /** This side's certificate chain (leaf first). */
  certPem: string;
  /** This side's private key (PKCS#8). */
  keyPem: string;
}
