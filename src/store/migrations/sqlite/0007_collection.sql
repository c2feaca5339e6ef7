-- Acquisition and accession (D7), storerooms with equipment, environment readings,
-- thresholds, alerts and inspections (D48).

-- 征集: donors and depositors, their agreements, plans, and the accession register.
CREATE TABLE donors (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('person','organisation')),
  name TEXT NOT NULL,
  patron_id INTEGER REFERENCES patrons(id),
  contact TEXT NOT NULL DEFAULT '',
  notes TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL
);

CREATE TABLE agreements (
  id INTEGER PRIMARY KEY,
  donor_id INTEGER NOT NULL REFERENCES donors(id),
  kind TEXT NOT NULL CHECK (kind IN ('donation','deposit','purchase','transfer','loan')),
  signed_on TEXT NOT NULL,
  expires_on TEXT,
  terms TEXT NOT NULL DEFAULT '',
  access_conditions TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL
);
CREATE INDEX agreements_donor ON agreements(donor_id);

CREATE TABLE acquisition_plans (
  id INTEGER PRIMARY KEY,
  year INTEGER NOT NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  target_count INTEGER,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('draft','active','closed')),
  created_at TEXT NOT NULL
);

-- 接收登记: batch, date, source, count, condition.
CREATE TABLE accessions (
  id INTEGER PRIMARY KEY,
  accession_number TEXT NOT NULL UNIQUE,
  plan_id INTEGER REFERENCES acquisition_plans(id),
  donor_id INTEGER REFERENCES donors(id),
  agreement_id INTEGER REFERENCES agreements(id),
  method TEXT NOT NULL CHECK (method IN ('transfer','donation','deposit','purchase','collection')),
  received_on TEXT NOT NULL,
  source TEXT NOT NULL,
  item_count INTEGER NOT NULL,
  condition TEXT NOT NULL DEFAULT '',
  notes TEXT NOT NULL DEFAULT '',
  created_by INTEGER,
  created_at TEXT NOT NULL
);
CREATE INDEX accessions_plan ON accessions(plan_id);
CREATE INDEX accessions_donor ON accessions(donor_id);

CREATE TABLE accession_records (
  accession_id INTEGER NOT NULL REFERENCES accessions(id),
  record_id INTEGER NOT NULL REFERENCES records(id),
  PRIMARY KEY (accession_id, record_id)
);
CREATE INDEX accession_records_record ON accession_records(record_id);

-- Storerooms are locations; their equipment, climate and inspections.
CREATE TABLE storage_equipment (
  id INTEGER PRIMARY KEY,
  location_id INTEGER NOT NULL REFERENCES locations(id),
  kind TEXT NOT NULL CHECK (kind IN ('air_conditioner','dehumidifier','humidifier','thermo_hygrometer','fire_suppression','compact_shelving','security','other')),
  name TEXT NOT NULL,
  serial TEXT NOT NULL DEFAULT '',
  installed_on TEXT,
  last_serviced_on TEXT,
  status TEXT NOT NULL DEFAULT 'working' CHECK (status IN ('working','faulty','retired')),
  created_at TEXT NOT NULL
);
CREATE INDEX storage_equipment_location ON storage_equipment(location_id);

CREATE TABLE environment_thresholds (
  location_id INTEGER PRIMARY KEY REFERENCES locations(id),
  temperature_min REAL NOT NULL,
  temperature_max REAL NOT NULL,
  humidity_min REAL NOT NULL,
  humidity_max REAL NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE environment_readings (
  id INTEGER PRIMARY KEY,
  location_id INTEGER NOT NULL REFERENCES locations(id),
  at TEXT NOT NULL,
  temperature REAL,
  humidity REAL,
  source TEXT NOT NULL DEFAULT 'manual',
  recorded_by INTEGER,
  created_at TEXT NOT NULL
);
CREATE INDEX environment_readings_location ON environment_readings(location_id, at);

-- One open alert per room and kind; readings out of range while it is open add to it.
CREATE TABLE environment_alerts (
  id INTEGER PRIMARY KEY,
  location_id INTEGER NOT NULL REFERENCES locations(id),
  kind TEXT NOT NULL CHECK (kind IN ('temperature_high','temperature_low','humidity_high','humidity_low')),
  first_reading_id INTEGER NOT NULL REFERENCES environment_readings(id),
  last_reading_id INTEGER NOT NULL REFERENCES environment_readings(id),
  worst_value REAL NOT NULL,
  threshold REAL NOT NULL,
  readings INTEGER NOT NULL DEFAULT 1,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','acknowledged','resolved')),
  created_at TEXT NOT NULL,
  acknowledged_by INTEGER,
  acknowledged_at TEXT,
  resolved_by INTEGER,
  resolved_at TEXT,
  note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX environment_alerts_status ON environment_alerts(status, id);
CREATE INDEX environment_alerts_location ON environment_alerts(location_id, kind, status);

CREATE TABLE storeroom_inspections (
  id INTEGER PRIMARY KEY,
  location_id INTEGER NOT NULL REFERENCES locations(id),
  inspected_on TEXT NOT NULL,
  inspector TEXT NOT NULL,
  findings TEXT NOT NULL,
  actions TEXT NOT NULL DEFAULT '',
  created_by INTEGER,
  created_at TEXT NOT NULL
);
CREATE INDEX storeroom_inspections_location ON storeroom_inspections(location_id, inspected_on);
