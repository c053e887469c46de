package io.navstar.gossip.kv.crdt;

/**
 * The replicated data types the KV store knows, with their wire codes. Codes are append-only:
 * a retired type keeps its number reserved.
 */
public enum CrdtType {
    GCOUNTER(1),
    PNCOUNTER(2),
    LWW_REGISTER(3),
    ENABLE_WINS_FLAG(4),
    ORSWOT(5),
    ORMAP(6);

    private static final CrdtType[] BY_CODE = new CrdtType[7];

    static {
        for (CrdtType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;

    CrdtType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The type with this wire code, or null when the code is unknown. */
    public static CrdtType ofCode(int code) {
        return code > 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }

    /** The bottom element of this type: what a field holds before its first update. */
    public Crdt<?> empty() {
        return switch (this) {
            case GCOUNTER -> GCounter.empty();
            case PNCOUNTER -> PnCounter.empty();
            case LWW_REGISTER -> LwwRegister.empty();
            case ENABLE_WINS_FLAG -> EnableWinsFlag.empty();
            case ORSWOT -> OrSwot.empty();
            case ORMAP -> OrMap.empty();
        };
    }
}
