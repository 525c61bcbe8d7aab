--
-- PostgreSQL database dump
--


-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: anomaly; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.anomaly (
    id integer NOT NULL,
    tenant integer,
    station integer,
    session integer,
    kind character varying(40) DEFAULT ''::character varying NOT NULL,
    detail json DEFAULT '{}'::json NOT NULL,
    resolved boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: anomaly_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.anomaly_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: anomaly_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.anomaly_id_seq OWNED BY public.anomaly.id;


--
-- Name: api_key; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_key (
    id integer NOT NULL,
    tenant integer,
    name character varying(120) DEFAULT ''::character varying NOT NULL,
    prefix character varying(16) DEFAULT ''::character varying NOT NULL,
    key_hash character varying(64) DEFAULT ''::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    last_used_at timestamp with time zone,
    revoked_at timestamp with time zone,
    permissions json
);


--
-- Name: api_key_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.api_key_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: api_key_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.api_key_id_seq OWNED BY public.api_key.id;


--
-- Name: audit_entry; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit_entry (
    id integer NOT NULL,
    tenant integer,
    actor integer,
    actor_label character varying(254) DEFAULT ''::character varying NOT NULL,
    entity_type character varying(40) DEFAULT ''::character varying NOT NULL,
    entity_id integer DEFAULT 0 NOT NULL,
    action character varying(40) DEFAULT ''::character varying NOT NULL,
    changes json DEFAULT '{}'::json NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: audit_entry_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.audit_entry_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: audit_entry_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.audit_entry_id_seq OWNED BY public.audit_entry.id;


--
-- Name: cdr; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.cdr (
    id integer NOT NULL,
    tenant integer,
    session integer,
    charge_point integer,
    station integer,
    location integer,
    location_name character varying(255) DEFAULT ''::character varying NOT NULL,
    address character varying(45) DEFAULT ''::character varying NOT NULL,
    city character varying(45) DEFAULT ''::character varying NOT NULL,
    postal_code character varying(10) DEFAULT ''::character varying NOT NULL,
    country character varying(3) DEFAULT ''::character varying NOT NULL,
    evse_id character varying(48) DEFAULT ''::character varying NOT NULL,
    charge_box_id character varying(64) DEFAULT ''::character varying NOT NULL,
    connector_id integer DEFAULT 0 NOT NULL,
    power_type character varying(2) DEFAULT 'AC'::character varying NOT NULL,
    start_date_time timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    end_date_time timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    total_energy numeric(12,3) DEFAULT 0 NOT NULL,
    total_time numeric(12,6) DEFAULT 0 NOT NULL,
    total_parking_time numeric(12,6) DEFAULT 0 NOT NULL,
    auth_method character varying(20) DEFAULT 'WHITELIST'::character varying NOT NULL,
    auth_source character varying(20) DEFAULT 'RFID'::character varying NOT NULL,
    token_uid character varying(36) DEFAULT ''::character varying NOT NULL,
    token_type character varying(12) DEFAULT 'RFID'::character varying NOT NULL,
    card integer,
    tariff json,
    tariff_code character varying(40) DEFAULT ''::character varying NOT NULL,
    price_components json DEFAULT '[]'::json NOT NULL,
    currency character varying(3) DEFAULT ''::character varying NOT NULL,
    vat_rate numeric(5,2) DEFAULT 0 NOT NULL,
    total_cost_excl_vat numeric(12,2) DEFAULT 0 NOT NULL,
    total_vat numeric(12,2) DEFAULT 0 NOT NULL,
    total_cost_incl_vat numeric(12,2) DEFAULT 0 NOT NULL,
    billable boolean DEFAULT true NOT NULL,
    remark character varying(255) DEFAULT ''::character varying NOT NULL,
    eichrecht_compliant boolean DEFAULT false NOT NULL,
    signed_data json,
    status character varying(12) DEFAULT 'COMPLETED'::character varying NOT NULL,
    stop_reason character varying(40) DEFAULT ''::character varying NOT NULL,
    flags json DEFAULT '[]'::json NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    driver_group integer,
    signature_check json,
    signature_status character varying(24) DEFAULT ''::character varying NOT NULL
);


--
-- Name: cdr_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.cdr_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: cdr_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.cdr_id_seq OWNED BY public.cdr.id;


--
-- Name: charge_group; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.charge_group (
    id integer NOT NULL,
    tenant integer,
    name character varying(120) DEFAULT ''::character varying NOT NULL,
    access_control boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: charge_group_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.charge_group_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: charge_group_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.charge_group_id_seq OWNED BY public.charge_group.id;


--
-- Name: charge_group_member; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.charge_group_member (
    id integer NOT NULL,
    "group" integer,
    charge_point integer
);


--
-- Name: charge_group_member_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.charge_group_member_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: charge_group_member_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.charge_group_member_id_seq OWNED BY public.charge_group_member.id;


--
-- Name: charge_point; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.charge_point (
    id integer NOT NULL,
    tenant integer,
    station integer,
    evse_number integer DEFAULT 1 NOT NULL,
    evse_id character varying(48) DEFAULT NULL::character varying,
    physical_reference character varying(16) DEFAULT ''::character varying NOT NULL,
    floor_level character varying(4) DEFAULT ''::character varying NOT NULL,
    status character varying(20) DEFAULT 'UNKNOWN'::character varying NOT NULL,
    status_detail character varying(30) DEFAULT ''::character varying NOT NULL,
    error_code character varying(50) DEFAULT ''::character varying NOT NULL,
    status_updated_at timestamp with time zone,
    error_rate numeric(5,2) DEFAULT 0 NOT NULL,
    auth_local_rfid boolean DEFAULT true NOT NULL,
    auth_remote boolean DEFAULT true NOT NULL,
    auth_direct_payment boolean DEFAULT false NOT NULL,
    power_type character varying(12) DEFAULT 'AC_3_PHASE'::character varying NOT NULL,
    max_power_kw numeric(8,2) DEFAULT 22 NOT NULL,
    connector_standards character varying(200) DEFAULT ''::character varying NOT NULL,
    decommissioned_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    eichrecht_compliant boolean DEFAULT false NOT NULL
);


--
-- Name: charge_point_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.charge_point_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: charge_point_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.charge_point_id_seq OWNED BY public.charge_point.id;


--
-- Name: charging_card; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.charging_card (
    id integer NOT NULL,
    tenant integer,
    uid character varying(20) DEFAULT ''::character varying NOT NULL,
    label character varying(120) DEFAULT ''::character varying NOT NULL,
    visual_number character varying(64) DEFAULT ''::character varying NOT NULL,
    status character varying(10) DEFAULT 'ACTIVE'::character varying NOT NULL,
    valid_until timestamp with time zone,
    owner_note text DEFAULT ''::text NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    driver_group integer
);


--
-- Name: charging_card_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.charging_card_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: charging_card_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.charging_card_id_seq OWNED BY public.charging_card.id;


--
-- Name: charging_session; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.charging_session (
    id integer NOT NULL,
    tenant integer,
    station integer,
    charge_point integer,
    connector_id integer DEFAULT 1 NOT NULL,
    id_tag character varying(20) DEFAULT ''::character varying NOT NULL,
    card integer,
    auth_source character varying(20) DEFAULT 'RFID'::character varying NOT NULL,
    auth_status character varying(20) DEFAULT ''::character varying NOT NULL,
    authorized_at timestamp with time zone,
    started_at timestamp with time zone,
    stopped_at timestamp with time zone,
    meter_start_wh bigint DEFAULT 0 NOT NULL,
    meter_stop_wh bigint,
    energy_wh bigint DEFAULT 0 NOT NULL,
    last_meter_wh bigint,
    last_meter_at timestamp with time zone,
    reservation_id integer,
    status character varying(20) DEFAULT 'STARTED'::character varying NOT NULL,
    stop_reason character varying(40) DEFAULT ''::character varying NOT NULL,
    stop_id_tag character varying(20) DEFAULT ''::character varying NOT NULL,
    flags json DEFAULT '[]'::json NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    driver_group integer,
    driver_group_tariff integer,
    driver_group_tariff_mode character varying(10) DEFAULT ''::character varying NOT NULL
)
WITH (fillfactor='70');


--
-- Name: charging_session_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.charging_session_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: charging_session_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.charging_session_id_seq OWNED BY public.charging_session.id;


--
-- Name: charging_station; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.charging_station (
    id integer NOT NULL,
    tenant integer,
    location integer,
    charge_box_id character varying(64) DEFAULT ''::character varying NOT NULL,
    name character varying(120) DEFAULT ''::character varying NOT NULL,
    vendor character varying(50) DEFAULT ''::character varying NOT NULL,
    model character varying(50) DEFAULT ''::character varying NOT NULL,
    serial_number character varying(50) DEFAULT ''::character varying NOT NULL,
    firmware_version character varying(50) DEFAULT ''::character varying NOT NULL,
    ocpp_version character varying(10) DEFAULT '1.6'::character varying NOT NULL,
    ocpp_password_hash character varying(200) DEFAULT ''::character varying NOT NULL,
    technician_name character varying(120) DEFAULT ''::character varying NOT NULL,
    technician_phone character varying(40) DEFAULT ''::character varying NOT NULL,
    technician_email character varying(254) DEFAULT ''::character varying NOT NULL,
    installation_status character varying(20) DEFAULT 'PLANNED'::character varying NOT NULL,
    installation_date timestamp with time zone,
    access_type character varying(20) DEFAULT 'PUBLIC_PAID'::character varying NOT NULL,
    show_as_poi boolean DEFAULT true NOT NULL,
    products json DEFAULT '[]'::json NOT NULL,
    attributes json DEFAULT '{}'::json NOT NULL,
    connected boolean DEFAULT false NOT NULL,
    last_heartbeat_at timestamp with time zone,
    last_message_at timestamp with time zone,
    decommissioned_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    boot_info json DEFAULT '{}'::json NOT NULL,
    diagnostics_status character varying(30) DEFAULT ''::character varying NOT NULL,
    firmware_status character varying(30) DEFAULT ''::character varying NOT NULL,
    meter_public_key text DEFAULT ''::text NOT NULL
);


--
-- Name: charging_station_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.charging_station_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: charging_station_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.charging_station_id_seq OWNED BY public.charging_station.id;


--
-- Name: command_record; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.command_record (
    id integer NOT NULL,
    tenant integer,
    station integer,
    charge_point integer,
    action character varying(40) DEFAULT ''::character varying NOT NULL,
    payload json DEFAULT '{}'::json NOT NULL,
    status character varying(10) DEFAULT 'pending'::character varying NOT NULL,
    result json DEFAULT '{}'::json NOT NULL,
    message text DEFAULT ''::text NOT NULL,
    requested_by character varying(200) DEFAULT ''::character varying NOT NULL,
    user_id integer,
    job character varying(32) DEFAULT ''::character varying NOT NULL,
    duration_ms integer,
    upload_token character varying(64) DEFAULT ''::character varying NOT NULL,
    upload_name character varying(255) DEFAULT ''::character varying NOT NULL,
    upload_size bigint,
    uploaded_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    finished_at timestamp with time zone
);


--
-- Name: command_record_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.command_record_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: command_record_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.command_record_id_seq OWNED BY public.command_record.id;


--
-- Name: connector; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.connector (
    id integer NOT NULL,
    tenant integer,
    charge_point integer,
    connector_number integer DEFAULT 1 NOT NULL,
    standard character varying(40) DEFAULT 'IEC_62196_T2'::character varying NOT NULL,
    format character varying(10) DEFAULT 'SOCKET'::character varying NOT NULL,
    power_type character varying(12) DEFAULT 'AC_3_PHASE'::character varying NOT NULL,
    max_voltage integer DEFAULT 400 NOT NULL,
    max_amperage integer DEFAULT 32 NOT NULL,
    max_electric_power integer DEFAULT 22000 NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: connector_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.connector_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: connector_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.connector_id_seq OWNED BY public.connector.id;


--
-- Name: data_transfer_message; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.data_transfer_message (
    id integer NOT NULL,
    tenant integer,
    station integer,
    vendor_id character varying(255) DEFAULT ''::character varying NOT NULL,
    message_id character varying(50) DEFAULT ''::character varying NOT NULL,
    data text DEFAULT ''::text NOT NULL,
    status character varying(20) DEFAULT ''::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: data_transfer_message_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.data_transfer_message_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: data_transfer_message_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.data_transfer_message_id_seq OWNED BY public.data_transfer_message.id;


--
-- Name: driver_group; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.driver_group (
    id integer NOT NULL,
    tenant integer,
    name character varying(120) DEFAULT ''::character varying NOT NULL,
    kind character varying(20) DEFAULT ''::character varying NOT NULL,
    tariff integer,
    tariff_mode character varying(10) DEFAULT ''::character varying NOT NULL,
    scope character varying(10) DEFAULT 'ALL'::character varying NOT NULL,
    archived_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: driver_group_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.driver_group_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: driver_group_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.driver_group_id_seq OWNED BY public.driver_group.id;


--
-- Name: driver_group_scope; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.driver_group_scope (
    id integer NOT NULL,
    driver_group integer,
    location integer,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: driver_group_scope_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.driver_group_scope_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: driver_group_scope_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.driver_group_scope_id_seq OWNED BY public.driver_group_scope.id;


--
-- Name: import_job; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.import_job (
    id integer NOT NULL,
    tenant integer,
    "user" integer,
    filename character varying(255) DEFAULT ''::character varying NOT NULL,
    content text DEFAULT ''::text NOT NULL,
    mode character varying(10) DEFAULT ''::character varying NOT NULL,
    status character varying(12) DEFAULT 'PREVIEW'::character varying NOT NULL,
    total integer DEFAULT 0 NOT NULL,
    done integer DEFAULT 0 NOT NULL,
    valid integer DEFAULT 0 NOT NULL,
    invalid integer DEFAULT 0 NOT NULL,
    errors json DEFAULT '[]'::json NOT NULL,
    created json DEFAULT '{}'::json NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    finished_at timestamp with time zone
);


--
-- Name: import_job_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.import_job_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: import_job_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.import_job_id_seq OWNED BY public.import_job.id;


--
-- Name: location; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.location (
    id integer NOT NULL,
    tenant integer,
    name character varying(255) DEFAULT ''::character varying NOT NULL,
    address character varying(45) DEFAULT ''::character varying NOT NULL,
    postal_code character varying(10) DEFAULT ''::character varying NOT NULL,
    city character varying(45) DEFAULT ''::character varying NOT NULL,
    state character varying(20) DEFAULT ''::character varying NOT NULL,
    country character varying(3) DEFAULT 'DEU'::character varying NOT NULL,
    latitude numeric(10,7) DEFAULT NULL::numeric,
    longitude numeric(10,7) DEFAULT NULL::numeric,
    time_zone character varying(64) DEFAULT 'Europe/Berlin'::character varying NOT NULL,
    twentyfourseven boolean DEFAULT true NOT NULL,
    opening_hours json DEFAULT '[]'::json NOT NULL,
    parking_type character varying(30) DEFAULT ''::character varying NOT NULL,
    parking_restrictions json DEFAULT '[]'::json NOT NULL,
    directions text DEFAULT ''::text NOT NULL,
    hotline character varying(40) DEFAULT ''::character varying NOT NULL,
    operator_name character varying(100) DEFAULT ''::character varying NOT NULL,
    operator_website character varying(255) DEFAULT ''::character varying NOT NULL,
    operator_email character varying(254) DEFAULT ''::character varying NOT NULL,
    publish boolean DEFAULT true NOT NULL,
    decommissioned_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: location_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.location_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: location_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.location_id_seq OWNED BY public.location.id;


--
-- Name: login_attempt; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.login_attempt (
    id integer NOT NULL,
    email character varying(254) DEFAULT ''::character varying NOT NULL,
    remote_addr character varying(64) DEFAULT ''::character varying NOT NULL,
    succeeded boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: login_attempt_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.login_attempt_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: login_attempt_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.login_attempt_id_seq OWNED BY public.login_attempt.id;


--
-- Name: meter_value; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.meter_value (
    id integer NOT NULL,
    station integer DEFAULT 0 NOT NULL,
    session integer,
    connector_id integer DEFAULT 0 NOT NULL,
    "timestamp" timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    sampled_value json DEFAULT '[]'::json NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: meter_value_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.meter_value_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: meter_value_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.meter_value_id_seq OWNED BY public.meter_value.id;


--
-- Name: migration; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.migration (
    id integer NOT NULL,
    name character varying(200) DEFAULT ''::character varying NOT NULL,
    app_name character varying(200) DEFAULT ''::character varying NOT NULL,
    ran_on timestamp without time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: migration_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.migration_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: migration_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.migration_id_seq OWNED BY public.migration.id;


--
-- Name: ocpp_message; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.ocpp_message (
    id integer NOT NULL,
    station integer,
    charge_box_id character varying(64) DEFAULT ''::character varying NOT NULL,
    direction character varying(3) DEFAULT ''::character varying NOT NULL,
    message_type integer DEFAULT 0 NOT NULL,
    unique_id character varying(64) DEFAULT ''::character varying NOT NULL,
    action character varying(50) DEFAULT ''::character varying NOT NULL,
    payload text DEFAULT ''::text NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: ocpp_message_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.ocpp_message_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: ocpp_message_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.ocpp_message_id_seq OWNED BY public.ocpp_message.id;


--
-- Name: outbox_message; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.outbox_message (
    id integer NOT NULL,
    topic character varying(60) DEFAULT ''::character varying NOT NULL,
    dedupe_key character varying(200) DEFAULT ''::character varying NOT NULL,
    payload json DEFAULT '{}'::json NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text DEFAULT ''::text NOT NULL,
    available_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    delivered_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: outbox_message_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.outbox_message_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: outbox_message_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.outbox_message_id_seq OWNED BY public.outbox_message.id;


--
-- Name: session_review; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.session_review (
    id integer NOT NULL,
    tenant integer,
    session integer,
    reviewed_by integer,
    note text DEFAULT ''::text NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: session_review_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.session_review_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: session_review_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.session_review_id_seq OWNED BY public.session_review.id;


--
-- Name: staff_user; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.staff_user (
    id integer NOT NULL,
    tenant integer,
    email character varying(254) DEFAULT ''::character varying NOT NULL,
    name character varying(200) DEFAULT ''::character varying NOT NULL,
    password_hash character varying(200) DEFAULT ''::character varying NOT NULL,
    is_admin boolean DEFAULT false NOT NULL,
    active boolean DEFAULT true NOT NULL,
    language character varying(5) DEFAULT ''::character varying NOT NULL,
    last_login_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: staff_user_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.staff_user_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: staff_user_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.staff_user_id_seq OWNED BY public.staff_user.id;


--
-- Name: status_event; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.status_event (
    id integer NOT NULL,
    tenant integer,
    station integer,
    charge_point integer,
    connector_id integer DEFAULT 0 NOT NULL,
    status character varying(20) DEFAULT ''::character varying NOT NULL,
    error_code character varying(50) DEFAULT 'NoError'::character varying NOT NULL,
    info character varying(50) DEFAULT ''::character varying NOT NULL,
    vendor_id character varying(255) DEFAULT ''::character varying NOT NULL,
    vendor_error_code character varying(50) DEFAULT ''::character varying NOT NULL,
    "timestamp" timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: status_event_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.status_event_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: status_event_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.status_event_id_seq OWNED BY public.status_event.id;


--
-- Name: tariff; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tariff (
    id integer NOT NULL,
    tenant integer,
    code character varying(32) DEFAULT ''::character varying NOT NULL,
    name character varying(120) DEFAULT ''::character varying NOT NULL,
    currency character varying(3) DEFAULT ''::character varying NOT NULL,
    ac_energy_per_kwh numeric(10,4) DEFAULT 0 NOT NULL,
    ac_time_per_minute numeric(10,4) DEFAULT 0 NOT NULL,
    ac_time_from_minute integer DEFAULT 0 NOT NULL,
    ac_session_fee numeric(10,4) DEFAULT 0 NOT NULL,
    dc_energy_per_kwh numeric(10,4) DEFAULT 0 NOT NULL,
    dc_time_per_minute numeric(10,4) DEFAULT 0 NOT NULL,
    dc_time_from_minute integer DEFAULT 0 NOT NULL,
    dc_session_fee numeric(10,4) DEFAULT 0 NOT NULL,
    parking_per_minute numeric(10,4) DEFAULT 0 NOT NULL,
    parking_from_minute integer DEFAULT 0 NOT NULL,
    archived_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: tariff_assignment; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tariff_assignment (
    id integer NOT NULL,
    tenant integer,
    tariff integer,
    charge_point integer,
    valid_from timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    created_by integer,
    created_by_label character varying(254) DEFAULT ''::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    cancelled_at timestamp with time zone
);


--
-- Name: tariff_assignment_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.tariff_assignment_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: tariff_assignment_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.tariff_assignment_id_seq OWNED BY public.tariff_assignment.id;


--
-- Name: tariff_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.tariff_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: tariff_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.tariff_id_seq OWNED BY public.tariff.id;


--
-- Name: tenant; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tenant (
    id integer NOT NULL,
    slug character varying(40) DEFAULT ''::character varying NOT NULL,
    name character varying(200) DEFAULT ''::character varying NOT NULL,
    kind character varying(10) DEFAULT 'CPO'::character varying NOT NULL,
    country_code character varying(2) DEFAULT 'DE'::character varying NOT NULL,
    party_id character varying(3) DEFAULT ''::character varying NOT NULL,
    currency character varying(3) DEFAULT 'EUR'::character varying NOT NULL,
    vat_rate numeric(5,2) DEFAULT 19.00 NOT NULL,
    parent integer,
    language character varying(5) DEFAULT ''::character varying NOT NULL,
    allow_unknown_stations boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: tenant_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.tenant_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: tenant_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.tenant_id_seq OWNED BY public.tenant.id;


--
-- Name: unknown_station; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.unknown_station (
    id integer NOT NULL,
    charge_box_id character varying(64) DEFAULT ''::character varying NOT NULL,
    tenant integer,
    remote_addr character varying(64) DEFAULT ''::character varying NOT NULL,
    attempts integer DEFAULT 1 NOT NULL,
    boot_info json DEFAULT '{}'::json NOT NULL,
    first_seen_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    last_seen_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    adopted boolean DEFAULT false NOT NULL
);


--
-- Name: unknown_station_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.unknown_station_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: unknown_station_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.unknown_station_id_seq OWNED BY public.unknown_station.id;


--
-- Name: user_group; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.user_group (
    id integer NOT NULL,
    tenant integer,
    name character varying(120) DEFAULT ''::character varying NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    permissions json DEFAULT '[]'::json NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: user_group_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.user_group_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: user_group_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.user_group_id_seq OWNED BY public.user_group.id;


--
-- Name: user_group_member; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.user_group_member (
    id integer NOT NULL,
    "group" integer,
    "user" integer
);


--
-- Name: user_group_member_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.user_group_member_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: user_group_member_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.user_group_member_id_seq OWNED BY public.user_group_member.id;


--
-- Name: user_preference; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.user_preference (
    id integer NOT NULL,
    "user" integer,
    key character varying(80) DEFAULT ''::character varying NOT NULL,
    value json DEFAULT '{}'::json NOT NULL
);


--
-- Name: user_preference_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.user_preference_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: user_preference_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.user_preference_id_seq OWNED BY public.user_preference.id;


--
-- Name: anomaly id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.anomaly ALTER COLUMN id SET DEFAULT nextval('public.anomaly_id_seq'::regclass);


--
-- Name: api_key id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_key ALTER COLUMN id SET DEFAULT nextval('public.api_key_id_seq'::regclass);


--
-- Name: audit_entry id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_entry ALTER COLUMN id SET DEFAULT nextval('public.audit_entry_id_seq'::regclass);


--
-- Name: cdr id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cdr ALTER COLUMN id SET DEFAULT nextval('public.cdr_id_seq'::regclass);


--
-- Name: charge_group id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charge_group ALTER COLUMN id SET DEFAULT nextval('public.charge_group_id_seq'::regclass);


--
-- Name: charge_group_member id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charge_group_member ALTER COLUMN id SET DEFAULT nextval('public.charge_group_member_id_seq'::regclass);


--
-- Name: charge_point id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charge_point ALTER COLUMN id SET DEFAULT nextval('public.charge_point_id_seq'::regclass);


--
-- Name: charging_card id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charging_card ALTER COLUMN id SET DEFAULT nextval('public.charging_card_id_seq'::regclass);


--
-- Name: charging_session id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charging_session ALTER COLUMN id SET DEFAULT nextval('public.charging_session_id_seq'::regclass);


--
-- Name: charging_station id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charging_station ALTER COLUMN id SET DEFAULT nextval('public.charging_station_id_seq'::regclass);


--
-- Name: command_record id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.command_record ALTER COLUMN id SET DEFAULT nextval('public.command_record_id_seq'::regclass);


--
-- Name: connector id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.connector ALTER COLUMN id SET DEFAULT nextval('public.connector_id_seq'::regclass);


--
-- Name: data_transfer_message id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.data_transfer_message ALTER COLUMN id SET DEFAULT nextval('public.data_transfer_message_id_seq'::regclass);


--
-- Name: driver_group id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.driver_group ALTER COLUMN id SET DEFAULT nextval('public.driver_group_id_seq'::regclass);


--
-- Name: driver_group_scope id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.driver_group_scope ALTER COLUMN id SET DEFAULT nextval('public.driver_group_scope_id_seq'::regclass);


--
-- Name: import_job id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.import_job ALTER COLUMN id SET DEFAULT nextval('public.import_job_id_seq'::regclass);


--
-- Name: location id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.location ALTER COLUMN id SET DEFAULT nextval('public.location_id_seq'::regclass);


--
-- Name: login_attempt id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.login_attempt ALTER COLUMN id SET DEFAULT nextval('public.login_attempt_id_seq'::regclass);


--
-- Name: meter_value id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.meter_value ALTER COLUMN id SET DEFAULT nextval('public.meter_value_id_seq'::regclass);


--
-- Name: migration id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.migration ALTER COLUMN id SET DEFAULT nextval('public.migration_id_seq'::regclass);


--
-- Name: ocpp_message id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ocpp_message ALTER COLUMN id SET DEFAULT nextval('public.ocpp_message_id_seq'::regclass);


--
-- Name: outbox_message id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.outbox_message ALTER COLUMN id SET DEFAULT nextval('public.outbox_message_id_seq'::regclass);


--
-- Name: session_review id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_review ALTER COLUMN id SET DEFAULT nextval('public.session_review_id_seq'::regclass);


--
-- Name: staff_user id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.staff_user ALTER COLUMN id SET DEFAULT nextval('public.staff_user_id_seq'::regclass);


--
-- Name: status_event id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.status_event ALTER COLUMN id SET DEFAULT nextval('public.status_event_id_seq'::regclass);


--
-- Name: tariff id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tariff ALTER COLUMN id SET DEFAULT nextval('public.tariff_id_seq'::regclass);


--
-- Name: tariff_assignment id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tariff_assignment ALTER COLUMN id SET DEFAULT nextval('public.tariff_assignment_id_seq'::regclass);


--
-- Name: tenant id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tenant ALTER COLUMN id SET DEFAULT nextval('public.tenant_id_seq'::regclass);


--
-- Name: unknown_station id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unknown_station ALTER COLUMN id SET DEFAULT nextval('public.unknown_station_id_seq'::regclass);


--
-- Name: user_group id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_group ALTER COLUMN id SET DEFAULT nextval('public.user_group_id_seq'::regclass);


--
-- Name: user_group_member id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_group_member ALTER COLUMN id SET DEFAULT nextval('public.user_group_member_id_seq'::regclass);


--
-- Name: user_preference id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_preference ALTER COLUMN id SET DEFAULT nextval('public.user_preference_id_seq'::regclass);


--
-- Data for Name: anomaly; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: api_key; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: audit_entry; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.audit_entry VALUES (1, 1, NULL, 'demo', 'location', 1, 'create', '{"name": [null, "Parkhaus Altstadt"], "address": [null, "Marktplatz 5"], "postal_code": [null, "80331"], "city": [null, "M\u00fcnchen"], "state": [null, ""], "country": [null, "DEU"], "latitude": [null, "48.1371079"], "longitude": [null, "11.5753822"], "time_zone": [null, "Europe/Berlin"], "twentyfourseven": [null, true], "opening_hours": [null, []], "parking_type": [null, "PARKING_GARAGE"], "parking_restrictions": [null, ["EV_ONLY"]], "directions": [null, ""], "hotline": [null, "+49 89 1234567"], "operator_name": [null, "Demo Company"], "operator_website": [null, ""], "operator_email": [null, ""], "publish": [null, true]}', '2026-12-06 02:24:30.014783+00');
INSERT INTO public.audit_entry VALUES (2, 1, NULL, 'demo', 'location', 2, 'create', '{"name": [null, "Firmenparkplatz Nord"], "address": [null, "Industriestra\u00dfe 12"], "postal_code": [null, "85748"], "city": [null, "Garching"], "state": [null, ""], "country": [null, "DEU"], "latitude": [null, "48.2488721"], "longitude": [null, "11.6532477"], "time_zone": [null, "Europe/Berlin"], "twentyfourseven": [null, false], "opening_hours": [null, [{"weekday": 1, "period_begin": "06:00", "period_end": "22:00"}, {"weekday": 2, "period_begin": "06:00", "period_end": "22:00"}, {"weekday": 3, "period_begin": "06:00", "period_end": "22:00"}, {"weekday": 4, "period_begin": "06:00", "period_end": "22:00"}, {"weekday": 5, "period_begin": "06:00", "period_end": "22:00"}]], "parking_type": [null, "PARKING_LOT"], "parking_restrictions": [null, ["CUSTOMERS"]], "directions": [null, ""], "hotline": [null, "+49 89 7654321"], "operator_name": [null, "Demo Company"], "operator_website": [null, ""], "operator_email": [null, ""], "publish": [null, true]}', '2026-12-06 02:24:30.018552+00');
INSERT INTO public.audit_entry VALUES (3, 1, NULL, 'demo', 'station', 1, 'create', '{"charge_box_id": [null, "DEMO-AC-001"], "name": [null, "eMH3 1"], "vendor": [null, "ABL"], "model": [null, "eMH3"], "serial_number": [null, "SN-10001"], "firmware_version": [null, "1.4.2"], "ocpp_version": [null, "1.6"], "technician_name": [null, "Max Techniker"], "technician_phone": [null, "+49 170 1234567"], "technician_email": [null, ""], "installation_status": [null, "COMMISSIONED"], "access_type": [null, "PUBLIC_PAID"], "show_as_poi": [null, true], "products": [null, []], "attributes": [null, {}], "meter_public_key": [null, ""]}', '2026-12-06 02:24:30.138676+00');
INSERT INTO public.audit_entry VALUES (4, 1, NULL, 'demo', 'charge_point', 1, 'create', '{"evse_number": [null, 1], "evse_id": [null, "DE*ISE*E1001*1"], "physical_reference": [null, ""], "floor_level": [null, ""], "auth_local_rfid": [null, true], "auth_remote": [null, true], "auth_direct_payment": [null, false], "eichrecht_compliant": [null, false]}', '2026-12-06 02:24:30.149413+00');
INSERT INTO public.audit_entry VALUES (5, 1, NULL, 'demo', 'charge_point', 2, 'create', '{"evse_number": [null, 2], "evse_id": [null, "DE*ISE*E1001*2"], "physical_reference": [null, ""], "floor_level": [null, ""], "auth_local_rfid": [null, true], "auth_remote": [null, true], "auth_direct_payment": [null, false], "eichrecht_compliant": [null, false]}', '2026-12-06 02:24:30.156838+00');
INSERT INTO public.audit_entry VALUES (6, 1, NULL, 'demo', 'station', 2, 'create', '{"charge_box_id": [null, "DEMO-AC-002"], "name": [null, "eMH3 2"], "vendor": [null, "ABL"], "model": [null, "eMH3"], "serial_number": [null, "SN-10002"], "firmware_version": [null, "1.4.2"], "ocpp_version": [null, "1.6"], "technician_name": [null, "Max Techniker"], "technician_phone": [null, "+49 170 1234567"], "technician_email": [null, ""], "installation_status": [null, "COMMISSIONED"], "access_type": [null, "PUBLIC_PAID"], "show_as_poi": [null, true], "products": [null, []], "attributes": [null, {}], "meter_public_key": [null, ""]}', '2026-12-06 02:24:30.265384+00');
INSERT INTO public.audit_entry VALUES (7, 1, NULL, 'demo', 'charge_point', 3, 'create', '{"evse_number": [null, 1], "evse_id": [null, "DE*ISE*E1002*1"], "physical_reference": [null, ""], "floor_level": [null, ""], "auth_local_rfid": [null, true], "auth_remote": [null, true], "auth_direct_payment": [null, false], "eichrecht_compliant": [null, false]}', '2026-12-06 02:24:30.272459+00');
INSERT INTO public.audit_entry VALUES (8, 1, NULL, 'demo', 'charge_point', 4, 'create', '{"evse_number": [null, 2], "evse_id": [null, "DE*ISE*E1002*2"], "physical_reference": [null, ""], "floor_level": [null, ""], "auth_local_rfid": [null, true], "auth_remote": [null, true], "auth_direct_payment": [null, false], "eichrecht_compliant": [null, false]}', '2026-12-06 02:24:30.279367+00');
INSERT INTO public.audit_entry VALUES (9, 1, NULL, 'demo', 'station', 3, 'create', '{"charge_box_id": [null, "DEMO-DC-001"], "name": [null, "HYC300 3"], "vendor": [null, "Alpitronic"], "model": [null, "HYC300"], "serial_number": [null, "SN-10003"], "firmware_version": [null, "2.1.0"], "ocpp_version": [null, "1.6"], "technician_name": [null, "Max Techniker"], "technician_phone": [null, "+49 170 1234567"], "technician_email": [null, ""], "installation_status": [null, "COMMISSIONED"], "access_type": [null, "PUBLIC_PAID"], "show_as_poi": [null, true], "products": [null, []], "attributes": [null, {}], "meter_public_key": [null, ""]}', '2026-12-06 02:24:30.393829+00');
INSERT INTO public.audit_entry VALUES (10, 1, NULL, 'demo', 'charge_point', 5, 'create', '{"evse_number": [null, 1], "evse_id": [null, "DE*ISE*E1003*1"], "physical_reference": [null, ""], "floor_level": [null, ""], "auth_local_rfid": [null, true], "auth_remote": [null, true], "auth_direct_payment": [null, false], "eichrecht_compliant": [null, false]}', '2026-12-06 02:24:30.400774+00');
INSERT INTO public.audit_entry VALUES (11, 1, NULL, 'demo', 'charge_point', 6, 'create', '{"evse_number": [null, 2], "evse_id": [null, "DE*ISE*E1003*2"], "physical_reference": [null, ""], "floor_level": [null, ""], "auth_local_rfid": [null, true], "auth_remote": [null, true], "auth_direct_payment": [null, false], "eichrecht_compliant": [null, false]}', '2026-12-06 02:24:30.408534+00');
INSERT INTO public.audit_entry VALUES (12, 1, NULL, 'demo', 'station', 4, 'create', '{"charge_box_id": [null, "DEMO-AC-101"], "name": [null, "AMTRON Professional 4"], "vendor": [null, "Mennekes"], "model": [null, "AMTRON Professional"], "serial_number": [null, "SN-10004"], "firmware_version": [null, "1.4.2"], "ocpp_version": [null, "1.6"], "technician_name": [null, "Max Techniker"], "technician_phone": [null, "+49 170 1234567"], "technician_email": [null, ""], "installation_status": [null, "COMMISSIONED"], "access_type": [null, "PUBLIC_PAID"], "show_as_poi": [null, true], "products": [null, []], "attributes": [null, {}], "meter_public_key": [null, ""]}', '2026-12-06 02:24:30.514854+00');
INSERT INTO public.audit_entry VALUES (13, 1, NULL, 'demo', 'charge_point', 7, 'create', '{"evse_number": [null, 1], "evse_id": [null, "DE*ISE*E1004*1"], "physical_reference": [null, ""], "floor_level": [null, ""], "auth_local_rfid": [null, true], "auth_remote": [null, true], "auth_direct_payment": [null, false], "eichrecht_compliant": [null, false]}', '2026-12-06 02:24:30.520325+00');
INSERT INTO public.audit_entry VALUES (14, 1, NULL, 'demo', 'charge_point', 8, 'create', '{"evse_number": [null, 2], "evse_id": [null, "DE*ISE*E1004*2"], "physical_reference": [null, ""], "floor_level": [null, ""], "auth_local_rfid": [null, true], "auth_remote": [null, true], "auth_direct_payment": [null, false], "eichrecht_compliant": [null, false]}', '2026-12-06 02:24:30.526542+00');
INSERT INTO public.audit_entry VALUES (15, 1, NULL, 'demo', 'station', 5, 'create', '{"charge_box_id": [null, "DEMO-AC-102"], "name": [null, "AMTRON Professional 5"], "vendor": [null, "Mennekes"], "model": [null, "AMTRON Professional"], "serial_number": [null, "SN-10005"], "firmware_version": [null, "1.4.2"], "ocpp_version": [null, "1.6"], "technician_name": [null, "Max Techniker"], "technician_phone": [null, "+49 170 1234567"], "technician_email": [null, ""], "installation_status": [null, "COMMISSIONED"], "access_type": [null, "PUBLIC_PAID"], "show_as_poi": [null, true], "products": [null, []], "attributes": [null, {}], "meter_public_key": [null, ""]}', '2026-12-06 02:24:30.631323+00');
INSERT INTO public.audit_entry VALUES (16, 1, NULL, 'demo', 'charge_point', 9, 'create', '{"evse_number": [null, 1], "evse_id": [null, "DE*ISE*E1005*1"], "physical_reference": [null, ""], "floor_level": [null, ""], "auth_local_rfid": [null, true], "auth_remote": [null, true], "auth_direct_payment": [null, false], "eichrecht_compliant": [null, false]}', '2026-12-06 02:24:30.636893+00');
INSERT INTO public.audit_entry VALUES (17, 1, NULL, 'demo', 'station', 6, 'create', '{"charge_box_id": [null, "DEMO-AC-103"], "name": [null, "KeContact P30 6"], "vendor": [null, "KEBA"], "model": [null, "KeContact P30"], "serial_number": [null, "SN-10006"], "firmware_version": [null, "1.4.2"], "ocpp_version": [null, "1.6"], "technician_name": [null, "Max Techniker"], "technician_phone": [null, "+49 170 1234567"], "technician_email": [null, ""], "installation_status": [null, "COMMISSIONED"], "access_type": [null, "PUBLIC_PAID"], "show_as_poi": [null, true], "products": [null, []], "attributes": [null, {}], "meter_public_key": [null, ""]}', '2026-12-06 02:24:30.7456+00');
INSERT INTO public.audit_entry VALUES (18, 1, NULL, 'demo', 'charge_point', 10, 'create', '{"evse_number": [null, 1], "evse_id": [null, "DE*ISE*E1006*1"], "physical_reference": [null, ""], "floor_level": [null, ""], "auth_local_rfid": [null, true], "auth_remote": [null, true], "auth_direct_payment": [null, false], "eichrecht_compliant": [null, false]}', '2026-12-06 02:24:30.750939+00');
INSERT INTO public.audit_entry VALUES (19, 1, NULL, 'demo', 'tariff', 1, 'create', '{"name": [null, "Demo Tarif"], "currency": [null, "EUR"], "ac_energy_per_kwh": [null, "0.4000"], "ac_time_per_minute": [null, "0.0200"], "ac_time_from_minute": [null, 60], "ac_session_fee": [null, "0.0000"], "dc_energy_per_kwh": [null, "0.5000"], "dc_time_per_minute": [null, "0.0200"], "dc_time_from_minute": [null, 60], "dc_session_fee": [null, "0.0000"], "parking_per_minute": [null, "0.0000"], "parking_from_minute": [null, 0]}', '2026-12-06 02:24:30.756747+00');
INSERT INTO public.audit_entry VALUES (20, 1, NULL, 'demo', 'charge_point', 1, 'tariff_assign', '{"tariff": [null, 1], "valid_from": [null, "2026-12-06T02:24:30.761432+00:00"]}', '2026-12-06 02:24:30.767145+00');
INSERT INTO public.audit_entry VALUES (21, 1, NULL, 'demo', 'charge_point', 2, 'tariff_assign', '{"tariff": [null, 1], "valid_from": [null, "2026-12-06T02:24:30.761432+00:00"]}', '2026-12-06 02:24:30.767815+00');
INSERT INTO public.audit_entry VALUES (22, 1, NULL, 'demo', 'charge_point', 3, 'tariff_assign', '{"tariff": [null, 1], "valid_from": [null, "2026-12-06T02:24:30.761432+00:00"]}', '2026-12-06 02:24:30.768434+00');
INSERT INTO public.audit_entry VALUES (23, 1, NULL, 'demo', 'charge_point', 4, 'tariff_assign', '{"tariff": [null, 1], "valid_from": [null, "2026-12-06T02:24:30.761432+00:00"]}', '2026-12-06 02:24:30.769037+00');
INSERT INTO public.audit_entry VALUES (24, 1, NULL, 'demo', 'charge_point', 5, 'tariff_assign', '{"tariff": [null, 1], "valid_from": [null, "2026-12-06T02:24:30.761432+00:00"]}', '2026-12-06 02:24:30.7697+00');
INSERT INTO public.audit_entry VALUES (25, 1, NULL, 'demo', 'charge_point', 6, 'tariff_assign', '{"tariff": [null, 1], "valid_from": [null, "2026-12-06T02:24:30.761432+00:00"]}', '2026-12-06 02:24:30.770368+00');
INSERT INTO public.audit_entry VALUES (26, 1, NULL, 'demo', 'charge_point', 7, 'tariff_assign', '{"tariff": [null, 1], "valid_from": [null, "2026-12-06T02:24:30.761432+00:00"]}', '2026-12-06 02:24:30.770898+00');
INSERT INTO public.audit_entry VALUES (27, 1, NULL, 'demo', 'charge_point', 8, 'tariff_assign', '{"tariff": [null, 1], "valid_from": [null, "2026-12-06T02:24:30.761432+00:00"]}', '2026-12-06 02:24:30.771411+00');
INSERT INTO public.audit_entry VALUES (28, 1, NULL, 'demo', 'charge_point', 9, 'tariff_assign', '{"tariff": [null, 1], "valid_from": [null, "2026-12-06T02:24:30.761432+00:00"]}', '2026-12-06 02:24:30.771928+00');
INSERT INTO public.audit_entry VALUES (29, 1, NULL, 'demo', 'charge_point', 10, 'tariff_assign', '{"tariff": [null, 1], "valid_from": [null, "2026-12-06T02:24:30.761432+00:00"]}', '2026-12-06 02:24:30.772476+00');
INSERT INTO public.audit_entry VALUES (30, 1, NULL, 'demo', 'driver_group', 1, 'create', '{"name": [null, "G\u00e4ste"], "kind": [null, "CARDS_ONLY"], "tariff_id": [null, 1], "tariff_mode": [null, "DOCUMENT"], "scope": [null, "ALL"], "location_ids": [null, []]}', '2026-12-06 02:24:30.777738+00');
INSERT INTO public.audit_entry VALUES (31, 1, NULL, 'demo', 'card', 1, 'create', '{"uid": [null, "6A570001"], "label": [null, "Gast 1"], "visual_number": [null, "GAST-0001"], "status": [null, "ACTIVE"], "owner_note": [null, ""]}', '2026-12-06 02:24:30.784289+00');
INSERT INTO public.audit_entry VALUES (32, 1, NULL, 'demo', 'card', 1, 'update', '{"driver_group": [null, 1]}', '2026-12-06 02:24:30.787233+00');
INSERT INTO public.audit_entry VALUES (33, 1, NULL, 'demo', 'driver_group', 1, 'add_card', '{"card": [null, "6A570001"]}', '2026-12-06 02:24:30.787524+00');


--
-- Data for Name: cdr; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.cdr VALUES (1, 1, 1, 1, 1, 1, 'Parkhaus Altstadt', 'Marktplatz 5', 'München', '80331', 'DEU', 'DE*ISE*E1001*1', 'DEMO-AC-001', 1, 'AC', '2026-11-20 08:00:00+00', '2026-11-20 09:00:00+00', 11.000, 1.000000, 0.000000, 'WHITELIST', 'RFID', '6A570001', 'RFID', 1, '{"tariff_id": 1, "code": "CPO20261206022430", "name": "Demo Tarif", "currency": "EUR", "vat_rate": "19.00", "ac": {"energy_per_kwh": "0.4000", "time_per_minute": "0.0200", "time_from_minute": 60, "session_fee": "0.0000"}, "dc": {"energy_per_kwh": "0.5000", "time_per_minute": "0.0200", "time_from_minute": 60, "session_fee": "0.0000"}, "parking_per_minute": "0.0000", "parking_from_minute": 0}', 'CPO20261206022430', '[{"kind": "ENERGY", "quantity": "11", "unit_price": "0.4000", "net": "4.40"}]', 'EUR', 19.00, 4.40, 0.84, 5.24, false, '', false, NULL, 'COMPLETED', 'Local', '[]', '2026-12-06 02:24:35.025876+00', 1, '{"status": "NOT_SIGNED", "documents": [], "problems": []}', 'NOT_SIGNED');


--
-- Data for Name: charge_group; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: charge_group_member; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: charge_point; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.charge_point VALUES (2, 1, 1, 2, 'DE*ISE*E1001*2', '', '', 'CHARGING', '', '', NULL, 0.00, true, true, false, 'AC_3_PHASE', 22.00, 'IEC_62196_T2', NULL, '2026-12-06 02:24:30.155141+00', '2026-12-06 02:24:30.155144+00', false);
INSERT INTO public.charge_point VALUES (3, 1, 2, 1, 'DE*ISE*E1002*1', '', '', 'AVAILABLE', '', '', NULL, 0.00, true, true, false, 'AC_3_PHASE', 22.00, 'IEC_62196_T2', NULL, '2026-12-06 02:24:30.270461+00', '2026-12-06 02:24:30.270465+00', false);
INSERT INTO public.charge_point VALUES (4, 1, 2, 2, 'DE*ISE*E1002*2', '', '', 'AVAILABLE', '', '', NULL, 0.00, true, true, false, 'AC_3_PHASE', 22.00, 'IEC_62196_T2', NULL, '2026-12-06 02:24:30.277649+00', '2026-12-06 02:24:30.277654+00', false);
INSERT INTO public.charge_point VALUES (5, 1, 3, 1, 'DE*ISE*E1003*1', '', '', 'OUTOFORDER', '', '', NULL, 0.00, true, true, false, 'DC', 300.00, 'IEC_62196_T2_COMBO', NULL, '2026-12-06 02:24:30.398845+00', '2026-12-06 02:24:30.39885+00', false);
INSERT INTO public.charge_point VALUES (6, 1, 3, 2, 'DE*ISE*E1003*2', '', '', 'AVAILABLE', '', '', NULL, 0.00, true, true, false, 'DC', 300.00, 'IEC_62196_T2_COMBO', NULL, '2026-12-06 02:24:30.406765+00', '2026-12-06 02:24:30.406769+00', false);
INSERT INTO public.charge_point VALUES (7, 1, 4, 1, 'DE*ISE*E1004*1', '', '', 'UNKNOWN', '', '', NULL, 0.00, true, true, false, 'AC_3_PHASE', 22.00, 'IEC_62196_T2', NULL, '2026-12-06 02:24:30.518885+00', '2026-12-06 02:24:30.518889+00', false);
INSERT INTO public.charge_point VALUES (8, 1, 4, 2, 'DE*ISE*E1004*2', '', '', 'AVAILABLE', '', '', NULL, 0.00, true, true, false, 'AC_3_PHASE', 22.00, 'IEC_62196_T2', NULL, '2026-12-06 02:24:30.525027+00', '2026-12-06 02:24:30.52503+00', false);
INSERT INTO public.charge_point VALUES (9, 1, 5, 1, 'DE*ISE*E1005*1', '', '', 'CHARGING', '', '', NULL, 0.00, true, true, false, 'AC_3_PHASE', 22.00, 'IEC_62196_T2', NULL, '2026-12-06 02:24:30.635463+00', '2026-12-06 02:24:30.635467+00', false);
INSERT INTO public.charge_point VALUES (10, 1, 6, 1, 'DE*ISE*E1006*1', '', '', 'AVAILABLE', '', '', NULL, 0.00, true, true, false, 'AC_3_PHASE', 22.00, 'IEC_62196_T2', NULL, '2026-12-06 02:24:30.749439+00', '2026-12-06 02:24:30.749442+00', false);
INSERT INTO public.charge_point VALUES (1, 1, 1, 1, 'DE*ISE*E1001*1', '', '', 'AVAILABLE', 'Available', '', '2026-12-06 02:24:35.021449+00', 0.00, true, true, false, 'AC_3_PHASE', 22.00, 'IEC_62196_T2', NULL, '2026-12-06 02:24:30.145974+00', '2026-12-06 02:24:30.145979+00', false);


--
-- Data for Name: charging_card; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.charging_card VALUES (1, 1, '6A570001', 'Gast 1', 'GAST-0001', 'ACTIVE', NULL, '', '2026-12-06 02:24:30.783583+00', '2026-12-06 02:24:30.786759+00', 1);


--
-- Data for Name: charging_session; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.charging_session VALUES (1, 1, 1, 1, 1, '6A570001', 1, 'RFID', 'Accepted', '2026-12-06 02:24:34.982635+00', '2026-11-20 08:00:00+00', '2026-11-20 09:00:00+00', 1000, 12000, 11000, 12000, '2026-11-20 09:00:00+00', NULL, 'STOPPED', 'Local', '6A570001', '[]', '2026-12-06 02:24:34.988564+00', '2026-12-06 02:24:35.008582+00', 1, 1, 'DOCUMENT');


--
-- Data for Name: charging_station; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.charging_station VALUES (2, 1, 1, 'DEMO-AC-002', 'eMH3 2', 'ABL', 'eMH3', 'SN-10002', '1.4.2', '1.6', '$argon2id$v=19$m=65536,t=3,p=4$5qUspfBbku4D/eHktDZQbg$ZzuaGMMP7X2RddEYrsMGx1Vef80L+GrQ2/feqIHAEnw', 'Max Techniker', '+49 170 1234567', '', 'COMMISSIONED', NULL, 'PUBLIC_PAID', true, '[]', '{}', false, NULL, NULL, NULL, '2026-12-06 02:24:30.263798+00', '2026-12-06 02:24:30.263807+00', '{}', '', '', '');
INSERT INTO public.charging_station VALUES (3, 1, 1, 'DEMO-DC-001', 'HYC300 3', 'Alpitronic', 'HYC300', 'SN-10003', '2.1.0', '1.6', '$argon2id$v=19$m=65536,t=3,p=4$0Cp+Zm8ImMU6o0hf7eWQvg$WFzj6cyDfrxQby5TGQXGRxrWt/LxgWu9Y1L6/mdcJrI', 'Max Techniker', '+49 170 1234567', '', 'COMMISSIONED', NULL, 'PUBLIC_PAID', true, '[]', '{}', false, NULL, NULL, NULL, '2026-12-06 02:24:30.392029+00', '2026-12-06 02:24:30.392037+00', '{}', '', '', '');
INSERT INTO public.charging_station VALUES (4, 1, 2, 'DEMO-AC-101', 'AMTRON Professional 4', 'Mennekes', 'AMTRON Professional', 'SN-10004', '1.4.2', '1.6', '$argon2id$v=19$m=65536,t=3,p=4$f5J7tA4bK7nHHGYG1IeRAw$jrRHvmtTxW6neqcr0jDAuvf1Ocg8/nTD9IJpijoxyoM', 'Max Techniker', '+49 170 1234567', '', 'COMMISSIONED', NULL, 'PUBLIC_PAID', true, '[]', '{}', false, NULL, NULL, NULL, '2026-12-06 02:24:30.513517+00', '2026-12-06 02:24:30.513526+00', '{}', '', '', '');
INSERT INTO public.charging_station VALUES (5, 1, 2, 'DEMO-AC-102', 'AMTRON Professional 5', 'Mennekes', 'AMTRON Professional', 'SN-10005', '1.4.2', '1.6', '$argon2id$v=19$m=65536,t=3,p=4$YJSys54Q9w4ZRfFXa2YS9A$42yc1Gio+skFdm/DboCGf/R39Xhh2t8eAI6WWVGuTng', 'Max Techniker', '+49 170 1234567', '', 'COMMISSIONED', NULL, 'PUBLIC_PAID', true, '[]', '{}', false, NULL, NULL, NULL, '2026-12-06 02:24:30.630085+00', '2026-12-06 02:24:30.630094+00', '{}', '', '', '');
INSERT INTO public.charging_station VALUES (6, 1, 2, 'DEMO-AC-103', 'KeContact P30 6', 'KEBA', 'KeContact P30', 'SN-10006', '1.4.2', '1.6', '$argon2id$v=19$m=65536,t=3,p=4$npmF6v/wJV2MnY1Wp0EK2Q$zn7rtJZIrYOK7vsvZRyaqu3vGe0Lzl/xM8KTC5hkxmU', 'Max Techniker', '+49 170 1234567', '', 'COMMISSIONED', NULL, 'PUBLIC_PAID', true, '[]', '{}', false, NULL, NULL, NULL, '2026-12-06 02:24:30.744245+00', '2026-12-06 02:24:30.744252+00', '{}', '', '', '');
INSERT INTO public.charging_station VALUES (1, 1, 1, 'DEMO-AC-001', 'eMH3 1', 'ABL', 'eMH3', 'SN-10001', '1.4.2', '1.6', '$argon2id$v=19$m=65536,t=3,p=4$Tt/KemPrgsFZzY4/G9GEAw$m7P+CgMyNRBMPkBarb2dSjIWZBb8/XSZ3DJzhJkaBkg', 'Max Techniker', '+49 170 1234567', '', 'COMMISSIONED', NULL, 'PUBLIC_PAID', true, '[]', '{}', false, NULL, '2026-12-06 02:24:34.968252+00', NULL, '2026-12-06 02:24:30.136421+00', '2026-12-06 02:24:34.968252+00', '{}', '', '', '');


--
-- Data for Name: command_record; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: connector; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.connector VALUES (1, 1, 1, 1, 'IEC_62196_T2', 'SOCKET', 'AC_3_PHASE', 400, 32, 22000, '2026-12-06 02:24:30.147316+00', '2026-12-06 02:24:30.14732+00');
INSERT INTO public.connector VALUES (2, 1, 2, 1, 'IEC_62196_T2', 'SOCKET', 'AC_3_PHASE', 400, 32, 22000, '2026-12-06 02:24:30.155765+00', '2026-12-06 02:24:30.155768+00');
INSERT INTO public.connector VALUES (3, 1, 3, 1, 'IEC_62196_T2', 'SOCKET', 'AC_3_PHASE', 400, 32, 22000, '2026-12-06 02:24:30.271206+00', '2026-12-06 02:24:30.271209+00');
INSERT INTO public.connector VALUES (4, 1, 4, 1, 'IEC_62196_T2', 'SOCKET', 'AC_3_PHASE', 400, 32, 22000, '2026-12-06 02:24:30.278275+00', '2026-12-06 02:24:30.278278+00');
INSERT INTO public.connector VALUES (5, 1, 5, 1, 'IEC_62196_T2_COMBO', 'CABLE', 'DC', 920, 500, 300000, '2026-12-06 02:24:30.399529+00', '2026-12-06 02:24:30.399534+00');
INSERT INTO public.connector VALUES (6, 1, 6, 1, 'IEC_62196_T2_COMBO', 'CABLE', 'DC', 920, 500, 300000, '2026-12-06 02:24:30.407378+00', '2026-12-06 02:24:30.407382+00');
INSERT INTO public.connector VALUES (7, 1, 7, 1, 'IEC_62196_T2', 'SOCKET', 'AC_3_PHASE', 400, 32, 22000, '2026-12-06 02:24:30.51943+00', '2026-12-06 02:24:30.519434+00');
INSERT INTO public.connector VALUES (8, 1, 8, 1, 'IEC_62196_T2', 'SOCKET', 'AC_3_PHASE', 400, 32, 22000, '2026-12-06 02:24:30.52556+00', '2026-12-06 02:24:30.525566+00');
INSERT INTO public.connector VALUES (9, 1, 9, 1, 'IEC_62196_T2', 'SOCKET', 'AC_3_PHASE', 400, 32, 22000, '2026-12-06 02:24:30.636001+00', '2026-12-06 02:24:30.636006+00');
INSERT INTO public.connector VALUES (10, 1, 10, 1, 'IEC_62196_T2', 'SOCKET', 'AC_3_PHASE', 400, 32, 22000, '2026-12-06 02:24:30.750048+00', '2026-12-06 02:24:30.750052+00');


--
-- Data for Name: data_transfer_message; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: driver_group; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.driver_group VALUES (1, 1, 'Gäste', 'CARDS_ONLY', 1, 'DOCUMENT', 'ALL', NULL, '2026-12-06 02:24:30.776407+00', '2026-12-06 02:24:30.776407+00');


--
-- Data for Name: driver_group_scope; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: import_job; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: location; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.location VALUES (1, 1, 'Parkhaus Altstadt', 'Marktplatz 5', '80331', 'München', '', 'DEU', 48.1371079, 11.5753822, 'Europe/Berlin', true, '[]', 'PARKING_GARAGE', '["EV_ONLY"]', '', '+49 89 1234567', 'Demo Company', '', '', true, NULL, '2026-12-06 02:24:30.013215+00', '2026-12-06 02:24:30.013219+00');
INSERT INTO public.location VALUES (2, 1, 'Firmenparkplatz Nord', 'Industriestraße 12', '85748', 'Garching', '', 'DEU', 48.2488721, 11.6532477, 'Europe/Berlin', false, '[{"weekday": 1, "period_begin": "06:00", "period_end": "22:00"}, {"weekday": 2, "period_begin": "06:00", "period_end": "22:00"}, {"weekday": 3, "period_begin": "06:00", "period_end": "22:00"}, {"weekday": 4, "period_begin": "06:00", "period_end": "22:00"}, {"weekday": 5, "period_begin": "06:00", "period_end": "22:00"}]', 'PARKING_LOT', '["CUSTOMERS"]', '', '+49 89 7654321', 'Demo Company', '', '', true, NULL, '2026-12-06 02:24:30.017838+00', '2026-12-06 02:24:30.017841+00');


--
-- Data for Name: login_attempt; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: meter_value; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.meter_value VALUES (1, 1, 1, 1, '2026-11-20 08:30:00+00', '[{"value":"6000"}]', '2026-12-06 02:24:34.993998+00');


--
-- Data for Name: migration; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.migration VALUES (1, '2026-11-22T15:18:00:119467', 'core', '2026-12-06 02:24:29.051158');
INSERT INTO public.migration VALUES (2, '2026-11-22T16:39:43:796757', 'core', '2026-12-06 02:24:29.067754');
INSERT INTO public.migration VALUES (3, '2026-11-22T16:55:00:000000', 'core', '2026-12-06 02:24:29.084775');
INSERT INTO public.migration VALUES (4, '2026-11-22T17:54:37:794871', 'core', '2026-12-06 02:24:29.147596');
INSERT INTO public.migration VALUES (5, '2026-11-25T11:49:49:075665', 'core', '2026-12-06 02:24:29.177718');
INSERT INTO public.migration VALUES (6, '2026-11-25T11:49:57:437945', 'core', '2026-12-06 02:24:29.191219');
INSERT INTO public.migration VALUES (7, '2026-11-25T11:50:14:705476', 'core', '2026-12-06 02:24:29.213767');
INSERT INTO public.migration VALUES (8, '2026-11-25T11:50:34:300044', 'core', '2026-12-06 02:24:29.241282');
INSERT INTO public.migration VALUES (9, '2026-11-25T11:51:38:431738', 'core', '2026-12-06 02:24:29.275327');
INSERT INTO public.migration VALUES (10, '2026-11-25T14:37:27:464120', 'core', '2026-12-06 02:24:29.314699');
INSERT INTO public.migration VALUES (11, '2026-11-25T14:38:30:379522', 'core', '2026-12-06 02:24:29.332545');
INSERT INTO public.migration VALUES (12, '2026-11-25T15:01:57:740209', 'core', '2026-12-06 02:24:29.347568');
INSERT INTO public.migration VALUES (13, '2026-11-25T18:19:27:769931', 'core', '2026-12-06 02:24:29.36305');
INSERT INTO public.migration VALUES (14, '2026-11-25T18:19:35:898483', 'core', '2026-12-06 02:24:29.378968');
INSERT INTO public.migration VALUES (15, '2026-11-25T18:19:39:471154', 'core', '2026-12-06 02:24:29.393423');
INSERT INTO public.migration VALUES (16, '2026-11-25T18:19:46:588877', 'core', '2026-12-06 02:24:29.407391');


--
-- Data for Name: ocpp_message; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.ocpp_message VALUES (1, 1, 'DEMO-AC-001', 'in', 2, '1', 'BootNotification', '[2, "1", "BootNotification", {"chargePointVendor": "ABL", "chargePointModel": "eMH3"}]', '2026-12-06 02:24:34.968208+00');
INSERT INTO public.ocpp_message VALUES (2, 1, 'DEMO-AC-001', 'out', 3, '1', 'BootNotification', '[3,"1",{"status":"Accepted","currentTime":"2026-12-06T02:24:34.968Z","interval":300}]', '2026-12-06 02:24:34.973994+00');
INSERT INTO public.ocpp_message VALUES (3, 1, 'DEMO-AC-001', 'in', 2, '2', 'StatusNotification', '[2, "2", "StatusNotification", {"connectorId": 1, "status": "Charging", "errorCode": "NoError"}]', '2026-12-06 02:24:34.974466+00');
INSERT INTO public.ocpp_message VALUES (4, 1, 'DEMO-AC-001', 'out', 3, '2', 'StatusNotification', '[3,"2",{}]', '2026-12-06 02:24:34.982164+00');
INSERT INTO public.ocpp_message VALUES (5, 1, 'DEMO-AC-001', 'in', 2, '3', 'StartTransaction', '[2, "3", "StartTransaction", {"connectorId": 1, "idTag": "6A570001", "meterStart": 1000, "timestamp": "2026-11-20T08:00:00Z"}]', '2026-12-06 02:24:34.982595+00');
INSERT INTO public.ocpp_message VALUES (6, 1, 'DEMO-AC-001', 'out', 3, '3', 'StartTransaction', '[3,"3",{"transactionId":1,"idTagInfo":{"status":"Accepted"}}]', '2026-12-06 02:24:34.990862+00');
INSERT INTO public.ocpp_message VALUES (7, 1, 'DEMO-AC-001', 'in', 2, '4', 'MeterValues', '[2, "4", "MeterValues", {"connectorId": 1, "transactionId": 1, "meterValue": [{"timestamp": "2026-11-20T08:30:00Z", "sampledValue": [{"value": "6000"}]}]}]', '2026-12-06 02:24:34.991517+00');
INSERT INTO public.ocpp_message VALUES (8, 1, 'DEMO-AC-001', 'out', 3, '4', 'MeterValues', '[3,"4",{}]', '2026-12-06 02:24:35.007025+00');
INSERT INTO public.ocpp_message VALUES (9, 1, 'DEMO-AC-001', 'in', 2, '5', 'StopTransaction', '[2, "5", "StopTransaction", {"transactionId": 1, "meterStop": 12000, "timestamp": "2026-11-20T09:00:00Z", "idTag": "6A570001", "reason": "Local"}]', '2026-12-06 02:24:35.007414+00');
INSERT INTO public.ocpp_message VALUES (10, 1, 'DEMO-AC-001', 'out', 3, '5', 'StopTransaction', '[3,"5",{"idTagInfo":{"status":"Accepted"}}]', '2026-12-06 02:24:35.021048+00');
INSERT INTO public.ocpp_message VALUES (11, 1, 'DEMO-AC-001', 'in', 2, '6', 'StatusNotification', '[2, "6", "StatusNotification", {"connectorId": 1, "status": "Available", "errorCode": "NoError"}]', '2026-12-06 02:24:35.021423+00');
INSERT INTO public.ocpp_message VALUES (12, 1, 'DEMO-AC-001', 'out', 3, '6', 'StatusNotification', '[3,"6",{}]', '2026-12-06 02:24:35.031334+00');


--
-- Data for Name: outbox_message; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.outbox_message VALUES (1, 'session.stopped', 'session-stopped:1', '{"session_id": 1, "tenant_id": 1}', 1, '', '2026-12-06 02:24:45.011395+00', '2026-12-06 02:24:35.028475+00', '2026-12-06 02:24:35.009305+00');


--
-- Data for Name: session_review; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: staff_user; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.staff_user VALUES (1, 1, 'admin@demo.example', 'Demo Admin', '$argon2id$v=19$m=65536,t=3,p=4$fXbtM4PAVnTtFDlYB2P6rw$5aPU3lSC4FRqOJjvjsa1omHUUR+w1iQNkw2vujvuI1g', true, true, '', NULL, '2026-12-06 02:24:30.009154+00');


--
-- Data for Name: status_event; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.status_event VALUES (1, 1, 1, 1, 1, 'Charging', 'NoError', '', '', '', '2026-12-06 02:24:34.974493+00', '2026-12-06 02:24:34.974493+00');
INSERT INTO public.status_event VALUES (2, 1, 1, 1, 1, 'Available', 'NoError', '', '', '', '2026-12-06 02:24:35.021449+00', '2026-12-06 02:24:35.021449+00');


--
-- Data for Name: tariff; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.tariff VALUES (1, 1, 'CPO20261206022430', 'Demo Tarif', 'EUR', 0.4000, 0.0200, 60, 0.0000, 0.5000, 0.0200, 60, 0.0000, 0.0000, 0, NULL, '2026-12-06 02:24:30.75501+00', '2026-12-06 02:24:30.75501+00');


--
-- Data for Name: tariff_assignment; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.tariff_assignment VALUES (1, 1, 1, 1, '2026-12-06 02:24:30.761432+00', NULL, 'demo', '2026-12-06 02:24:30.761432+00', NULL);
INSERT INTO public.tariff_assignment VALUES (2, 1, 1, 2, '2026-12-06 02:24:30.761432+00', NULL, 'demo', '2026-12-06 02:24:30.761432+00', NULL);
INSERT INTO public.tariff_assignment VALUES (3, 1, 1, 3, '2026-12-06 02:24:30.761432+00', NULL, 'demo', '2026-12-06 02:24:30.761432+00', NULL);
INSERT INTO public.tariff_assignment VALUES (4, 1, 1, 4, '2026-12-06 02:24:30.761432+00', NULL, 'demo', '2026-12-06 02:24:30.761432+00', NULL);
INSERT INTO public.tariff_assignment VALUES (5, 1, 1, 5, '2026-12-06 02:24:30.761432+00', NULL, 'demo', '2026-12-06 02:24:30.761432+00', NULL);
INSERT INTO public.tariff_assignment VALUES (6, 1, 1, 6, '2026-12-06 02:24:30.761432+00', NULL, 'demo', '2026-12-06 02:24:30.761432+00', NULL);
INSERT INTO public.tariff_assignment VALUES (7, 1, 1, 7, '2026-12-06 02:24:30.761432+00', NULL, 'demo', '2026-12-06 02:24:30.761432+00', NULL);
INSERT INTO public.tariff_assignment VALUES (8, 1, 1, 8, '2026-12-06 02:24:30.761432+00', NULL, 'demo', '2026-12-06 02:24:30.761432+00', NULL);
INSERT INTO public.tariff_assignment VALUES (9, 1, 1, 9, '2026-12-06 02:24:30.761432+00', NULL, 'demo', '2026-12-06 02:24:30.761432+00', NULL);
INSERT INTO public.tariff_assignment VALUES (10, 1, 1, 10, '2026-12-06 02:24:30.761432+00', NULL, 'demo', '2026-12-06 02:24:30.761432+00', NULL);


--
-- Data for Name: tenant; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.tenant VALUES (2, 'demo-emp', 'Demo Mobility (EMP)', 'EMP', 'DE', 'DMP', 'EUR', 19.00, NULL, '', false, '2026-12-06 02:24:29.920499+00');
INSERT INTO public.tenant VALUES (1, 'demo', 'Demo Company', 'CPO', 'DE', 'ISE', 'EUR', 19.00, NULL, '', false, '2026-12-06 02:24:29.917592+00');


--
-- Data for Name: unknown_station; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: user_group; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.user_group VALUES (1, 1, 'Technik', 'Technicians: infrastructure and OCPP commands', '["infrastructure.view", "infrastructure.manage", "ocpp.commands"]', '2026-12-06 02:24:30.011276+00');
INSERT INTO public.user_group VALUES (2, 1, 'Buchhaltung', 'Accounting', '["sessions.view"]', '2026-12-06 02:24:30.012389+00');


--
-- Data for Name: user_group_member; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: user_preference; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Name: anomaly_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.anomaly_id_seq', 1, false);


--
-- Name: api_key_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.api_key_id_seq', 1, false);


--
-- Name: audit_entry_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.audit_entry_id_seq', 33, true);


--
-- Name: cdr_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.cdr_id_seq', 1, true);


--
-- Name: charge_group_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.charge_group_id_seq', 1, false);


--
-- Name: charge_group_member_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.charge_group_member_id_seq', 1, false);


--
-- Name: charge_point_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.charge_point_id_seq', 10, true);


--
-- Name: charging_card_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.charging_card_id_seq', 1, true);


--
-- Name: charging_session_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.charging_session_id_seq', 1, true);


--
-- Name: charging_station_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.charging_station_id_seq', 6, true);


--
-- Name: command_record_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.command_record_id_seq', 1, false);


--
-- Name: connector_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.connector_id_seq', 10, true);


--
-- Name: data_transfer_message_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.data_transfer_message_id_seq', 1, false);


--
-- Name: driver_group_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.driver_group_id_seq', 1, true);


--
-- Name: driver_group_scope_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.driver_group_scope_id_seq', 1, false);


--
-- Name: import_job_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.import_job_id_seq', 1, false);


--
-- Name: location_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.location_id_seq', 2, true);


--
-- Name: login_attempt_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.login_attempt_id_seq', 1, false);


--
-- Name: meter_value_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.meter_value_id_seq', 1, true);


--
-- Name: migration_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.migration_id_seq', 16, true);


--
-- Name: ocpp_message_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.ocpp_message_id_seq', 12, true);


--
-- Name: outbox_message_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.outbox_message_id_seq', 1, true);


--
-- Name: session_review_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.session_review_id_seq', 1, false);


--
-- Name: staff_user_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.staff_user_id_seq', 1, true);


--
-- Name: status_event_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.status_event_id_seq', 2, true);


--
-- Name: tariff_assignment_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.tariff_assignment_id_seq', 10, true);


--
-- Name: tariff_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.tariff_id_seq', 1, true);


--
-- Name: tenant_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.tenant_id_seq', 2, true);


--
-- Name: unknown_station_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.unknown_station_id_seq', 1, false);


--
-- Name: user_group_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.user_group_id_seq', 2, true);


--
-- Name: user_group_member_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.user_group_member_id_seq', 1, false);


--
-- Name: user_preference_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.user_preference_id_seq', 1, false);


--
-- Name: anomaly anomaly_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.anomaly
    ADD CONSTRAINT anomaly_pkey PRIMARY KEY (id);


--
-- Name: api_key api_key_key_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_key
    ADD CONSTRAINT api_key_key_hash_key UNIQUE (key_hash);


--
-- Name: api_key api_key_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_key
    ADD CONSTRAINT api_key_pkey PRIMARY KEY (id);


--
-- Name: audit_entry audit_entry_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_entry
    ADD CONSTRAINT audit_entry_pkey PRIMARY KEY (id);


--
-- Name: cdr cdr_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cdr
    ADD CONSTRAINT cdr_pkey PRIMARY KEY (id);


--
-- Name: cdr cdr_session_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cdr
    ADD CONSTRAINT cdr_session_key UNIQUE (session);


--
-- Name: charge_group_member charge_group_member_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charge_group_member
    ADD CONSTRAINT charge_group_member_pkey PRIMARY KEY (id);


--
-- Name: charge_group charge_group_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charge_group
    ADD CONSTRAINT charge_group_pkey PRIMARY KEY (id);


--
-- Name: charge_point charge_point_evse_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charge_point
    ADD CONSTRAINT charge_point_evse_id_key UNIQUE (evse_id);


--
-- Name: charge_point charge_point_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charge_point
    ADD CONSTRAINT charge_point_pkey PRIMARY KEY (id);


--
-- Name: charging_card charging_card_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charging_card
    ADD CONSTRAINT charging_card_pkey PRIMARY KEY (id);


--
-- Name: charging_session charging_session_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charging_session
    ADD CONSTRAINT charging_session_pkey PRIMARY KEY (id);


--
-- Name: charging_station charging_station_charge_box_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charging_station
    ADD CONSTRAINT charging_station_charge_box_id_key UNIQUE (charge_box_id);


--
-- Name: charging_station charging_station_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charging_station
    ADD CONSTRAINT charging_station_pkey PRIMARY KEY (id);


--
-- Name: command_record command_record_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.command_record
    ADD CONSTRAINT command_record_pkey PRIMARY KEY (id);


--
-- Name: connector connector_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.connector
    ADD CONSTRAINT connector_pkey PRIMARY KEY (id);


--
-- Name: data_transfer_message data_transfer_message_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.data_transfer_message
    ADD CONSTRAINT data_transfer_message_pkey PRIMARY KEY (id);


--
-- Name: driver_group driver_group_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.driver_group
    ADD CONSTRAINT driver_group_pkey PRIMARY KEY (id);


--
-- Name: driver_group_scope driver_group_scope_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.driver_group_scope
    ADD CONSTRAINT driver_group_scope_pkey PRIMARY KEY (id);


--
-- Name: import_job import_job_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.import_job
    ADD CONSTRAINT import_job_pkey PRIMARY KEY (id);


--
-- Name: location location_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.location
    ADD CONSTRAINT location_pkey PRIMARY KEY (id);


--
-- Name: login_attempt login_attempt_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.login_attempt
    ADD CONSTRAINT login_attempt_pkey PRIMARY KEY (id);


--
-- Name: meter_value meter_value_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.meter_value
    ADD CONSTRAINT meter_value_pkey PRIMARY KEY (id);


--
-- Name: migration migration_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.migration
    ADD CONSTRAINT migration_pkey PRIMARY KEY (id);


--
-- Name: ocpp_message ocpp_message_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ocpp_message
    ADD CONSTRAINT ocpp_message_pkey PRIMARY KEY (id);


--
-- Name: outbox_message outbox_message_dedupe_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.outbox_message
    ADD CONSTRAINT outbox_message_dedupe_key_key UNIQUE (dedupe_key);


--
-- Name: outbox_message outbox_message_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.outbox_message
    ADD CONSTRAINT outbox_message_pkey PRIMARY KEY (id);


--
-- Name: session_review session_review_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_review
    ADD CONSTRAINT session_review_pkey PRIMARY KEY (id);


--
-- Name: session_review session_review_session_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_review
    ADD CONSTRAINT session_review_session_key UNIQUE (session);


--
-- Name: staff_user staff_user_email_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.staff_user
    ADD CONSTRAINT staff_user_email_key UNIQUE (email);


--
-- Name: staff_user staff_user_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.staff_user
    ADD CONSTRAINT staff_user_pkey PRIMARY KEY (id);


--
-- Name: status_event status_event_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.status_event
    ADD CONSTRAINT status_event_pkey PRIMARY KEY (id);


--
-- Name: tariff_assignment tariff_assignment_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tariff_assignment
    ADD CONSTRAINT tariff_assignment_pkey PRIMARY KEY (id);


--
-- Name: tariff tariff_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tariff
    ADD CONSTRAINT tariff_pkey PRIMARY KEY (id);


--
-- Name: tenant tenant_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tenant
    ADD CONSTRAINT tenant_pkey PRIMARY KEY (id);


--
-- Name: tenant tenant_slug_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tenant
    ADD CONSTRAINT tenant_slug_key UNIQUE (slug);


--
-- Name: unknown_station unknown_station_charge_box_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unknown_station
    ADD CONSTRAINT unknown_station_charge_box_id_key UNIQUE (charge_box_id);


--
-- Name: unknown_station unknown_station_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unknown_station
    ADD CONSTRAINT unknown_station_pkey PRIMARY KEY (id);


--
-- Name: user_group_member user_group_member_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_group_member
    ADD CONSTRAINT user_group_member_pkey PRIMARY KEY (id);


--
-- Name: user_group user_group_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_group
    ADD CONSTRAINT user_group_pkey PRIMARY KEY (id);


--
-- Name: user_preference user_preference_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_preference
    ADD CONSTRAINT user_preference_pkey PRIMARY KEY (id);


--
-- Name: anomaly_created_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX anomaly_created_at ON public.anomaly USING btree (created_at);


--
-- Name: anomaly_kind; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX anomaly_kind ON public.anomaly USING btree (kind);


--
-- Name: anomaly_station; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX anomaly_station ON public.anomaly USING btree (station);


--
-- Name: anomaly_tenant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX anomaly_tenant ON public.anomaly USING btree (tenant);


--
-- Name: api_key_key_hash; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX api_key_key_hash ON public.api_key USING btree (key_hash);


--
-- Name: api_key_tenant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX api_key_tenant ON public.api_key USING btree (tenant);


--
-- Name: audit_entry_created_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_entry_created_at ON public.audit_entry USING btree (created_at);


--
-- Name: audit_entry_entity_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_entry_entity_id ON public.audit_entry USING btree (entity_id);


--
-- Name: audit_entry_entity_type; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_entry_entity_type ON public.audit_entry USING btree (entity_type);


--
-- Name: audit_entry_tenant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_entry_tenant ON public.audit_entry USING btree (tenant);


--
-- Name: cdr_auth_source; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX cdr_auth_source ON public.cdr USING btree (auth_source);


--
-- Name: cdr_city; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX cdr_city ON public.cdr USING btree (city);


--
-- Name: cdr_country; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX cdr_country ON public.cdr USING btree (country);


--
-- Name: cdr_currency; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX cdr_currency ON public.cdr USING btree (currency);


--
-- Name: cdr_eichrecht_compliant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX cdr_eichrecht_compliant ON public.cdr USING btree (eichrecht_compliant);


--
-- Name: cdr_power_type; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX cdr_power_type ON public.cdr USING btree (power_type);


--
-- Name: cdr_session; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX cdr_session ON public.cdr USING btree (session);


--
-- Name: cdr_signature_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX cdr_signature_status ON public.cdr USING btree (signature_status);


--
-- Name: cdr_start_date_time; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX cdr_start_date_time ON public.cdr USING btree (start_date_time);


--
-- Name: cdr_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX cdr_status ON public.cdr USING btree (status);


--
-- Name: cdr_tenant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX cdr_tenant ON public.cdr USING btree (tenant);


--
-- Name: charge_group_member_charge_point; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charge_group_member_charge_point ON public.charge_group_member USING btree (charge_point);


--
-- Name: charge_group_member_group; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charge_group_member_group ON public.charge_group_member USING btree ("group");


--
-- Name: charge_group_tenant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charge_group_tenant ON public.charge_group USING btree (tenant);


--
-- Name: charge_point_connector_standards; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charge_point_connector_standards ON public.charge_point USING btree (connector_standards);


--
-- Name: charge_point_error_rate; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charge_point_error_rate ON public.charge_point USING btree (error_rate);


--
-- Name: charge_point_evse_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charge_point_evse_id ON public.charge_point USING btree (evse_id);


--
-- Name: charge_point_power_type; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charge_point_power_type ON public.charge_point USING btree (power_type);


--
-- Name: charge_point_station; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charge_point_station ON public.charge_point USING btree (station);


--
-- Name: charge_point_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charge_point_status ON public.charge_point USING btree (status);


--
-- Name: charge_point_tenant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charge_point_tenant ON public.charge_point USING btree (tenant);


--
-- Name: charging_card_driver_group; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charging_card_driver_group ON public.charging_card USING btree (driver_group);


--
-- Name: charging_card_tenant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charging_card_tenant ON public.charging_card USING btree (tenant);


--
-- Name: charging_card_uid; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charging_card_uid ON public.charging_card USING btree (uid);


--
-- Name: charging_session_charge_point; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charging_session_charge_point ON public.charging_session USING btree (charge_point);


--
-- Name: charging_session_driver_group; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charging_session_driver_group ON public.charging_session USING btree (driver_group);


--
-- Name: charging_session_id_tag; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charging_session_id_tag ON public.charging_session USING btree (id_tag);


--
-- Name: charging_session_started_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charging_session_started_at ON public.charging_session USING btree (started_at);


--
-- Name: charging_session_station; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charging_session_station ON public.charging_session USING btree (station);


--
-- Name: charging_session_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charging_session_status ON public.charging_session USING btree (status);


--
-- Name: charging_session_tenant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charging_session_tenant ON public.charging_session USING btree (tenant);


--
-- Name: charging_station_charge_box_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charging_station_charge_box_id ON public.charging_station USING btree (charge_box_id);


--
-- Name: charging_station_firmware_version; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charging_station_firmware_version ON public.charging_station USING btree (firmware_version);


--
-- Name: charging_station_location; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charging_station_location ON public.charging_station USING btree (location);


--
-- Name: charging_station_model; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charging_station_model ON public.charging_station USING btree (model);


--
-- Name: charging_station_ocpp_version; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charging_station_ocpp_version ON public.charging_station USING btree (ocpp_version);


--
-- Name: charging_station_tenant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charging_station_tenant ON public.charging_station USING btree (tenant);


--
-- Name: charging_station_vendor; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX charging_station_vendor ON public.charging_station USING btree (vendor);


--
-- Name: command_record_action; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX command_record_action ON public.command_record USING btree (action);


--
-- Name: command_record_created_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX command_record_created_at ON public.command_record USING btree (created_at);


--
-- Name: command_record_job; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX command_record_job ON public.command_record USING btree (job);


--
-- Name: command_record_station; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX command_record_station ON public.command_record USING btree (station);


--
-- Name: command_record_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX command_record_status ON public.command_record USING btree (status);


--
-- Name: command_record_tenant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX command_record_tenant ON public.command_record USING btree (tenant);


--
-- Name: command_record_upload_token; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX command_record_upload_token ON public.command_record USING btree (upload_token);


--
-- Name: connector_charge_point; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX connector_charge_point ON public.connector USING btree (charge_point);


--
-- Name: connector_tenant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX connector_tenant ON public.connector USING btree (tenant);


--
-- Name: data_transfer_message_created_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX data_transfer_message_created_at ON public.data_transfer_message USING btree (created_at);


--
-- Name: data_transfer_message_station; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX data_transfer_message_station ON public.data_transfer_message USING btree (station);


--
-- Name: data_transfer_message_tenant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX data_transfer_message_tenant ON public.data_transfer_message USING btree (tenant);


--
-- Name: driver_group_scope_driver_group; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX driver_group_scope_driver_group ON public.driver_group_scope USING btree (driver_group);


--
-- Name: driver_group_scope_location; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX driver_group_scope_location ON public.driver_group_scope USING btree (location);


--
-- Name: driver_group_tenant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX driver_group_tenant ON public.driver_group USING btree (tenant);


--
-- Name: import_job_tenant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX import_job_tenant ON public.import_job USING btree (tenant);


--
-- Name: location_city; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX location_city ON public.location USING btree (city);


--
-- Name: location_country; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX location_country ON public.location USING btree (country);


--
-- Name: location_postal_code; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX location_postal_code ON public.location USING btree (postal_code);


--
-- Name: location_tenant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX location_tenant ON public.location USING btree (tenant);


--
-- Name: login_attempt_created_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX login_attempt_created_at ON public.login_attempt USING btree (created_at);


--
-- Name: login_attempt_email; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX login_attempt_email ON public.login_attempt USING btree (email);


--
-- Name: meter_value_session; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX meter_value_session ON public.meter_value USING btree (session);


--
-- Name: ocpp_message_station_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ocpp_message_station_id ON public.ocpp_message USING btree (station, id);


--
-- Name: outbox_message_available_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outbox_message_available_at ON public.outbox_message USING btree (available_at);


--
-- Name: outbox_message_delivered_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outbox_message_delivered_at ON public.outbox_message USING btree (delivered_at);


--
-- Name: outbox_message_topic; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX outbox_message_topic ON public.outbox_message USING btree (topic);


--
-- Name: overview_cp_error_rate; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX overview_cp_error_rate ON public.charge_point USING btree (error_rate, id);


--
-- Name: overview_cp_evse_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX overview_cp_evse_id ON public.charge_point USING btree (evse_id, id);


--
-- Name: overview_cp_evse_id_fold; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX overview_cp_evse_id_fold ON public.charge_point USING btree (lower((evse_id)::text) COLLATE "C");


--
-- Name: overview_cp_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX overview_cp_status ON public.charge_point USING btree (status, id);


--
-- Name: overview_cp_tenant_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX overview_cp_tenant_id ON public.charge_point USING btree (tenant, id);


--
-- Name: overview_location_city_fold; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX overview_location_city_fold ON public.location USING btree (lower((city)::text) COLLATE "C");


--
-- Name: overview_location_name_fold; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX overview_location_name_fold ON public.location USING btree (lower((name)::text) COLLATE "C");


--
-- Name: overview_location_postal_code; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX overview_location_postal_code ON public.location USING btree (postal_code COLLATE "C");


--
-- Name: overview_station_box_fold; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX overview_station_box_fold ON public.charging_station USING btree (lower((charge_box_id)::text) COLLATE "C");


--
-- Name: overview_station_name_fold; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX overview_station_name_fold ON public.charging_station USING btree (lower((name)::text) COLLATE "C");


--
-- Name: session_review_session; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX session_review_session ON public.session_review USING btree (session);


--
-- Name: session_review_tenant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX session_review_tenant ON public.session_review USING btree (tenant);


--
-- Name: staff_user_email; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX staff_user_email ON public.staff_user USING btree (email);


--
-- Name: staff_user_tenant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX staff_user_tenant ON public.staff_user USING btree (tenant);


--
-- Name: status_event_charge_point; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX status_event_charge_point ON public.status_event USING btree (charge_point);


--
-- Name: status_event_station; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX status_event_station ON public.status_event USING btree (station);


--
-- Name: status_event_tenant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX status_event_tenant ON public.status_event USING btree (tenant);


--
-- Name: status_event_timestamp; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX status_event_timestamp ON public.status_event USING btree ("timestamp");


--
-- Name: tariff_assignment_charge_point; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX tariff_assignment_charge_point ON public.tariff_assignment USING btree (charge_point);


--
-- Name: tariff_assignment_tariff; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX tariff_assignment_tariff ON public.tariff_assignment USING btree (tariff);


--
-- Name: tariff_assignment_tenant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX tariff_assignment_tenant ON public.tariff_assignment USING btree (tenant);


--
-- Name: tariff_assignment_valid_from; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX tariff_assignment_valid_from ON public.tariff_assignment USING btree (valid_from);


--
-- Name: tariff_code; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX tariff_code ON public.tariff USING btree (code);


--
-- Name: tariff_tenant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX tariff_tenant ON public.tariff USING btree (tenant);


--
-- Name: tenant_slug; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX tenant_slug ON public.tenant USING btree (slug);


--
-- Name: unknown_station_charge_box_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX unknown_station_charge_box_id ON public.unknown_station USING btree (charge_box_id);


--
-- Name: unknown_station_tenant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX unknown_station_tenant ON public.unknown_station USING btree (tenant);


--
-- Name: user_group_member_group; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX user_group_member_group ON public.user_group_member USING btree ("group");


--
-- Name: user_group_member_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX user_group_member_user ON public.user_group_member USING btree ("user");


--
-- Name: user_group_tenant; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX user_group_tenant ON public.user_group USING btree (tenant);


--
-- Name: user_preference_user; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX user_preference_user ON public.user_preference USING btree ("user");


--
-- Name: anomaly anomaly_session_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.anomaly
    ADD CONSTRAINT anomaly_session_fkey FOREIGN KEY (session) REFERENCES public.charging_session(id) ON UPDATE CASCADE ON DELETE SET NULL;


--
-- Name: anomaly anomaly_station_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.anomaly
    ADD CONSTRAINT anomaly_station_fkey FOREIGN KEY (station) REFERENCES public.charging_station(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: anomaly anomaly_tenant_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.anomaly
    ADD CONSTRAINT anomaly_tenant_fkey FOREIGN KEY (tenant) REFERENCES public.tenant(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: api_key api_key_tenant_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_key
    ADD CONSTRAINT api_key_tenant_fkey FOREIGN KEY (tenant) REFERENCES public.tenant(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: audit_entry audit_entry_actor_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_entry
    ADD CONSTRAINT audit_entry_actor_fkey FOREIGN KEY (actor) REFERENCES public.staff_user(id) ON UPDATE CASCADE ON DELETE SET NULL;


--
-- Name: audit_entry audit_entry_tenant_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_entry
    ADD CONSTRAINT audit_entry_tenant_fkey FOREIGN KEY (tenant) REFERENCES public.tenant(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: cdr cdr_card_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cdr
    ADD CONSTRAINT cdr_card_fkey FOREIGN KEY (card) REFERENCES public.charging_card(id) ON UPDATE CASCADE ON DELETE SET NULL;


--
-- Name: cdr cdr_charge_point_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cdr
    ADD CONSTRAINT cdr_charge_point_fkey FOREIGN KEY (charge_point) REFERENCES public.charge_point(id) ON UPDATE CASCADE ON DELETE SET NULL;


--
-- Name: cdr cdr_driver_group_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cdr
    ADD CONSTRAINT cdr_driver_group_fkey FOREIGN KEY (driver_group) REFERENCES public.driver_group(id) ON UPDATE CASCADE ON DELETE SET NULL;


--
-- Name: cdr cdr_location_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cdr
    ADD CONSTRAINT cdr_location_fkey FOREIGN KEY (location) REFERENCES public.location(id) ON UPDATE CASCADE ON DELETE SET NULL;


--
-- Name: cdr cdr_session_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cdr
    ADD CONSTRAINT cdr_session_fkey FOREIGN KEY (session) REFERENCES public.charging_session(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: cdr cdr_station_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cdr
    ADD CONSTRAINT cdr_station_fkey FOREIGN KEY (station) REFERENCES public.charging_station(id) ON UPDATE CASCADE ON DELETE SET NULL;


--
-- Name: cdr cdr_tenant_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cdr
    ADD CONSTRAINT cdr_tenant_fkey FOREIGN KEY (tenant) REFERENCES public.tenant(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: charge_group_member charge_group_member_charge_point_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charge_group_member
    ADD CONSTRAINT charge_group_member_charge_point_fkey FOREIGN KEY (charge_point) REFERENCES public.charge_point(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: charge_group_member charge_group_member_group_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charge_group_member
    ADD CONSTRAINT charge_group_member_group_fkey FOREIGN KEY ("group") REFERENCES public.charge_group(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: charge_group charge_group_tenant_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charge_group
    ADD CONSTRAINT charge_group_tenant_fkey FOREIGN KEY (tenant) REFERENCES public.tenant(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: charge_point charge_point_station_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charge_point
    ADD CONSTRAINT charge_point_station_fkey FOREIGN KEY (station) REFERENCES public.charging_station(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: charge_point charge_point_tenant_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charge_point
    ADD CONSTRAINT charge_point_tenant_fkey FOREIGN KEY (tenant) REFERENCES public.tenant(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: charging_card charging_card_driver_group_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charging_card
    ADD CONSTRAINT charging_card_driver_group_fkey FOREIGN KEY (driver_group) REFERENCES public.driver_group(id) ON UPDATE CASCADE ON DELETE SET NULL;


--
-- Name: charging_card charging_card_tenant_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charging_card
    ADD CONSTRAINT charging_card_tenant_fkey FOREIGN KEY (tenant) REFERENCES public.tenant(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: charging_session charging_session_card_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charging_session
    ADD CONSTRAINT charging_session_card_fkey FOREIGN KEY (card) REFERENCES public.charging_card(id) ON UPDATE CASCADE ON DELETE SET NULL;


--
-- Name: charging_session charging_session_charge_point_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charging_session
    ADD CONSTRAINT charging_session_charge_point_fkey FOREIGN KEY (charge_point) REFERENCES public.charge_point(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: charging_session charging_session_driver_group_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charging_session
    ADD CONSTRAINT charging_session_driver_group_fkey FOREIGN KEY (driver_group) REFERENCES public.driver_group(id) ON UPDATE CASCADE ON DELETE SET NULL;


--
-- Name: charging_session charging_session_driver_group_tariff_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charging_session
    ADD CONSTRAINT charging_session_driver_group_tariff_fkey FOREIGN KEY (driver_group_tariff) REFERENCES public.tariff(id) ON UPDATE CASCADE ON DELETE SET NULL;


--
-- Name: charging_session charging_session_station_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charging_session
    ADD CONSTRAINT charging_session_station_fkey FOREIGN KEY (station) REFERENCES public.charging_station(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: charging_session charging_session_tenant_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charging_session
    ADD CONSTRAINT charging_session_tenant_fkey FOREIGN KEY (tenant) REFERENCES public.tenant(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: charging_station charging_station_location_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charging_station
    ADD CONSTRAINT charging_station_location_fkey FOREIGN KEY (location) REFERENCES public.location(id) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: charging_station charging_station_tenant_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.charging_station
    ADD CONSTRAINT charging_station_tenant_fkey FOREIGN KEY (tenant) REFERENCES public.tenant(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: command_record command_record_charge_point_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.command_record
    ADD CONSTRAINT command_record_charge_point_fkey FOREIGN KEY (charge_point) REFERENCES public.charge_point(id) ON UPDATE CASCADE ON DELETE SET NULL;


--
-- Name: command_record command_record_station_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.command_record
    ADD CONSTRAINT command_record_station_fkey FOREIGN KEY (station) REFERENCES public.charging_station(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: command_record command_record_tenant_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.command_record
    ADD CONSTRAINT command_record_tenant_fkey FOREIGN KEY (tenant) REFERENCES public.tenant(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: connector connector_charge_point_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.connector
    ADD CONSTRAINT connector_charge_point_fkey FOREIGN KEY (charge_point) REFERENCES public.charge_point(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: connector connector_tenant_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.connector
    ADD CONSTRAINT connector_tenant_fkey FOREIGN KEY (tenant) REFERENCES public.tenant(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: data_transfer_message data_transfer_message_station_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.data_transfer_message
    ADD CONSTRAINT data_transfer_message_station_fkey FOREIGN KEY (station) REFERENCES public.charging_station(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: data_transfer_message data_transfer_message_tenant_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.data_transfer_message
    ADD CONSTRAINT data_transfer_message_tenant_fkey FOREIGN KEY (tenant) REFERENCES public.tenant(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: driver_group_scope driver_group_scope_driver_group_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.driver_group_scope
    ADD CONSTRAINT driver_group_scope_driver_group_fkey FOREIGN KEY (driver_group) REFERENCES public.driver_group(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: driver_group_scope driver_group_scope_location_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.driver_group_scope
    ADD CONSTRAINT driver_group_scope_location_fkey FOREIGN KEY (location) REFERENCES public.location(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: driver_group driver_group_tariff_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.driver_group
    ADD CONSTRAINT driver_group_tariff_fkey FOREIGN KEY (tariff) REFERENCES public.tariff(id) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: driver_group driver_group_tenant_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.driver_group
    ADD CONSTRAINT driver_group_tenant_fkey FOREIGN KEY (tenant) REFERENCES public.tenant(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: import_job import_job_tenant_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.import_job
    ADD CONSTRAINT import_job_tenant_fkey FOREIGN KEY (tenant) REFERENCES public.tenant(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: import_job import_job_user_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.import_job
    ADD CONSTRAINT import_job_user_fkey FOREIGN KEY ("user") REFERENCES public.staff_user(id) ON UPDATE CASCADE ON DELETE SET NULL;


--
-- Name: location location_tenant_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.location
    ADD CONSTRAINT location_tenant_fkey FOREIGN KEY (tenant) REFERENCES public.tenant(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: ocpp_message ocpp_message_station_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.ocpp_message
    ADD CONSTRAINT ocpp_message_station_fkey FOREIGN KEY (station) REFERENCES public.charging_station(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: session_review session_review_reviewed_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_review
    ADD CONSTRAINT session_review_reviewed_by_fkey FOREIGN KEY (reviewed_by) REFERENCES public.staff_user(id) ON UPDATE CASCADE ON DELETE SET NULL;


--
-- Name: session_review session_review_session_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_review
    ADD CONSTRAINT session_review_session_fkey FOREIGN KEY (session) REFERENCES public.charging_session(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: session_review session_review_tenant_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_review
    ADD CONSTRAINT session_review_tenant_fkey FOREIGN KEY (tenant) REFERENCES public.tenant(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: staff_user staff_user_tenant_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.staff_user
    ADD CONSTRAINT staff_user_tenant_fkey FOREIGN KEY (tenant) REFERENCES public.tenant(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: status_event status_event_charge_point_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.status_event
    ADD CONSTRAINT status_event_charge_point_fkey FOREIGN KEY (charge_point) REFERENCES public.charge_point(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: status_event status_event_station_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.status_event
    ADD CONSTRAINT status_event_station_fkey FOREIGN KEY (station) REFERENCES public.charging_station(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: status_event status_event_tenant_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.status_event
    ADD CONSTRAINT status_event_tenant_fkey FOREIGN KEY (tenant) REFERENCES public.tenant(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: tariff_assignment tariff_assignment_charge_point_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tariff_assignment
    ADD CONSTRAINT tariff_assignment_charge_point_fkey FOREIGN KEY (charge_point) REFERENCES public.charge_point(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: tariff_assignment tariff_assignment_created_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tariff_assignment
    ADD CONSTRAINT tariff_assignment_created_by_fkey FOREIGN KEY (created_by) REFERENCES public.staff_user(id) ON UPDATE CASCADE ON DELETE SET NULL;


--
-- Name: tariff_assignment tariff_assignment_tariff_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tariff_assignment
    ADD CONSTRAINT tariff_assignment_tariff_fkey FOREIGN KEY (tariff) REFERENCES public.tariff(id) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: tariff_assignment tariff_assignment_tenant_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tariff_assignment
    ADD CONSTRAINT tariff_assignment_tenant_fkey FOREIGN KEY (tenant) REFERENCES public.tenant(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: tariff tariff_tenant_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tariff
    ADD CONSTRAINT tariff_tenant_fkey FOREIGN KEY (tenant) REFERENCES public.tenant(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: tenant tenant_parent_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tenant
    ADD CONSTRAINT tenant_parent_fkey FOREIGN KEY (parent) REFERENCES public.tenant(id) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: unknown_station unknown_station_tenant_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unknown_station
    ADD CONSTRAINT unknown_station_tenant_fkey FOREIGN KEY (tenant) REFERENCES public.tenant(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: user_group_member user_group_member_group_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_group_member
    ADD CONSTRAINT user_group_member_group_fkey FOREIGN KEY ("group") REFERENCES public.user_group(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: user_group_member user_group_member_user_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_group_member
    ADD CONSTRAINT user_group_member_user_fkey FOREIGN KEY ("user") REFERENCES public.staff_user(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: user_group user_group_tenant_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_group
    ADD CONSTRAINT user_group_tenant_fkey FOREIGN KEY (tenant) REFERENCES public.tenant(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: user_preference user_preference_user_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_preference
    ADD CONSTRAINT user_preference_user_fkey FOREIGN KEY ("user") REFERENCES public.staff_user(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--


