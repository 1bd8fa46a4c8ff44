-- Cartera sintética de préstamos (DuckDB). La llenan datos deterministas y con semilla
-- (regllm_lf.portfolio); todo el SQL de los datasets debe ejecutarse contra estas tablas.

CREATE TABLE clientes (
    cliente_id        INTEGER PRIMARY KEY,
    segmento          VARCHAR NOT NULL,   -- 'minorista', 'pyme', 'empresa'
    sector            VARCHAR NOT NULL,   -- 'hogares', 'comercio', 'industria', 'construccion', 'servicios', 'inmobiliario'
    provincia         VARCHAR NOT NULL,
    fecha_alta        DATE NOT NULL,
    ventas_anuales_meur DOUBLE            -- facturación anual en millones EUR (NULL en minoristas)
);

CREATE TABLE operaciones (
    operacion_id          INTEGER PRIMARY KEY,
    cliente_id            INTEGER NOT NULL REFERENCES clientes (cliente_id),
    producto              VARCHAR NOT NULL,   -- 'hipoteca', 'prestamo_consumo', 'tarjeta', 'linea_credito', 'prestamo_empresa'
    fecha_originacion     DATE NOT NULL,
    fecha_vencimiento     DATE NOT NULL,
    importe_concedido     DOUBLE NOT NULL,    -- EUR
    limite                DOUBLE NOT NULL,    -- EUR; igual al concedido en productos sin disponible
    tipo_interes_efectivo DOUBLE NOT NULL,    -- tanto por uno anual
    tipo_garantia         VARCHAR NOT NULL,   -- 'hipotecaria', 'personal', 'aval', 'ninguna'
    valor_garantia        DOUBLE NOT NULL,    -- EUR (0 sin garantía real)
    rating_originacion    INTEGER NOT NULL,   -- 1 (mejor) .. 10 (peor)
    pd_originacion        DOUBLE NOT NULL     -- PD 12 meses en la originación
);

-- Foto trimestral de cada operación viva (cierre de trimestre).
CREATE TABLE cartera (
    fecha_referencia   DATE NOT NULL,
    operacion_id       INTEGER NOT NULL REFERENCES operaciones (operacion_id),
    cliente_id         INTEGER NOT NULL REFERENCES clientes (cliente_id),
    segmento           VARCHAR NOT NULL,
    producto           VARCHAR NOT NULL,
    saldo_dispuesto    DOUBLE NOT NULL,   -- EUR, exposición en balance
    limite             DOUBLE NOT NULL,   -- EUR
    saldo_disponible   DOUBLE NOT NULL,   -- EUR, limite - saldo_dispuesto (fuera de balance)
    importe_vencido    DOUBLE NOT NULL,   -- EUR impagado
    dias_impago        INTEGER NOT NULL,
    rating_interno     INTEGER NOT NULL,  -- 1 .. 10
    pd_12m             DOUBLE NOT NULL,   -- PD a 12 meses asignada por el modelo
    pd_lifetime        DOUBLE NOT NULL,   -- PD vida residual (NIIF 9)
    lgd                DOUBLE NOT NULL,   -- LGD asignada
    ccf                DOUBLE NOT NULL,   -- CCF asignado al disponible
    vencimiento_anios  DOUBLE NOT NULL,   -- vencimiento efectivo M en años
    stage_ifrs9        INTEGER NOT NULL,  -- 1, 2, 3
    refinanciada       BOOLEAN NOT NULL,
    en_vigilancia      BOOLEAN NOT NULL,  -- lista de seguimiento especial
    default_flag       BOOLEAN NOT NULL,  -- marca de default de la operación en el sistema
    valor_garantia     DOUBLE NOT NULL,   -- EUR, valor actualizado
    provision          DOUBLE NOT NULL,   -- EUR, corrección de valor contable
    PRIMARY KEY (fecha_referencia, operacion_id)
);

-- Eventos de default a nivel de operación (entrada y, si la hay, salida/cura).
CREATE TABLE defaults (
    default_id          INTEGER PRIMARY KEY,
    operacion_id        INTEGER NOT NULL REFERENCES operaciones (operacion_id),
    cliente_id          INTEGER NOT NULL REFERENCES clientes (cliente_id),
    fecha_default       DATE NOT NULL,
    fecha_salida        DATE,               -- NULL si sigue en default
    motivo              VARCHAR NOT NULL,   -- 'impago_90', 'improbable_pago', 'reestructuracion_forzosa'
    dias_impago_entrada INTEGER NOT NULL,
    importe_vencido_entrada DOUBLE NOT NULL,
    ead_default         DOUBLE NOT NULL,    -- EUR, exposición en la fecha de default
    saldo_dispuesto_12m_antes DOUBLE,       -- EUR, dispuesto 12 meses antes del default
    limite_12m_antes    DOUBLE,             -- EUR, límite 12 meses antes del default
    estado_proceso      VARCHAR NOT NULL,   -- 'cerrado', 'abierto'
    curado              BOOLEAN NOT NULL
);

CREATE TABLE recuperaciones (
    recuperacion_id     INTEGER PRIMARY KEY,
    default_id          INTEGER NOT NULL REFERENCES defaults (default_id),
    operacion_id        INTEGER NOT NULL REFERENCES operaciones (operacion_id),
    fecha_recuperacion  DATE NOT NULL,
    tipo                VARCHAR NOT NULL,   -- 'efectivo', 'ejecucion_garantia', 'venta_cartera'
    importe_recuperado  DOUBLE NOT NULL,    -- EUR
    coste_directo       DOUBLE NOT NULL,    -- EUR
    coste_indirecto     DOUBLE NOT NULL     -- EUR imputado
);

-- Euríbor mensual (serie sintética): el de 3 meses es la base del tipo de descuento de la LGD
-- realizada (EBA/GL/2017/16, párrafo 143); el de 12 meses se conserva para comparar.
CREATE TABLE tipos_referencia (
    fecha        DATE PRIMARY KEY,
    euribor_12m  DOUBLE NOT NULL,          -- tanto por uno
    euribor_3m   DOUBLE NOT NULL           -- tanto por uno
);

-- Escala maestra de rating.
CREATE TABLE escala_maestra (
    rating      INTEGER PRIMARY KEY,
    pd_min      DOUBLE NOT NULL,
    pd_max      DOUBLE NOT NULL,
    pd_central  DOUBLE NOT NULL
);

-- Escenarios macroeconómicos para pruebas de resistencia y NIIF 9.
CREATE TABLE escenarios_macro (
    escenario          VARCHAR NOT NULL,  -- 'base', 'adverso', 'favorable'
    anio               INTEGER NOT NULL,
    ponderacion        DOUBLE NOT NULL,   -- peso del escenario (suman 1 por año)
    pib_var            DOUBLE NOT NULL,   -- variación anual del PIB, tanto por uno
    tasa_paro          DOUBLE NOT NULL,
    euribor_12m        DOUBLE NOT NULL,
    precio_vivienda_var DOUBLE NOT NULL,
    PRIMARY KEY (escenario, anio)
);

-- Sensibilidades de PD y LGD a escenario (multiplicadores) por segmento.
CREATE TABLE sensibilidades_macro (
    segmento        VARCHAR NOT NULL,
    escenario       VARCHAR NOT NULL,
    anio            INTEGER NOT NULL,
    multiplicador_pd  DOUBLE NOT NULL,
    multiplicador_lgd DOUBLE NOT NULL,
    PRIMARY KEY (segmento, escenario, anio)
);

-- Importes totales de exposición al riesgo por tipo de riesgo y cierre trimestral (millones EUR,
-- sintéticos): con los métodos que usa la entidad (u_trea, sin suelo) y con los métodos estándar
-- (s_trea), para calcular el suelo de resultados.
CREATE TABLE totales_apr (
    fecha_referencia  DATE NOT NULL,
    riesgo            VARCHAR NOT NULL,  -- 'credito', 'mercado', 'operacional', 'cva'
    u_trea            DOUBLE NOT NULL,
    s_trea            DOUBLE NOT NULL,
    PRIMARY KEY (fecha_referencia, riesgo)
);

-- Estructura temporal de PD acumulada por grado (NIIF 9, sintética): probabilidad de default
-- acumulada desde hoy hasta el final de cada año de horizonte, en el escenario base.
CREATE TABLE curva_pd (
    rating            INTEGER NOT NULL,
    horizonte_anios   INTEGER NOT NULL,  -- 1 .. 10
    pd_acumulada      DOUBLE NOT NULL,
    PRIMARY KEY (rating, horizonte_anios)
);

-- Serie macroeconómica anual histórica (sintética) para identificar periodos de recesión.
CREATE TABLE macro_historico (
    anio               INTEGER PRIMARY KEY,
    pib_var            DOUBLE NOT NULL,   -- variación real del PIB, tanto por uno
    tasa_paro          DOUBLE NOT NULL,
    precio_vivienda_var DOUBLE NOT NULL
);
