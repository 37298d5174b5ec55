# Vitrine scale-out: stateless Vitrine replicas share one image bucket and one vector store, chosen by
# var.vector_store: Cloud SQL for PostgreSQL with pgvector, or a Pinecone serverless index.

locals {
  use_pgvector = var.vector_store == "pgvector"
  use_pinecone = var.vector_store == "pinecone"
  bucket_name  = "${var.name_prefix}-images-${var.project_id}"
}

# --- Images -------------------------------------------------------------------------------------------------------

resource "google_storage_bucket" "images" {
  name                        = local.bucket_name
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = var.images_public ? "inherited" : "enforced"
  force_destroy               = false

  cors {
    origin          = ["*"]
    method          = ["GET", "HEAD"]
    response_header = ["Content-Type", "Cache-Control"]
    max_age_seconds = 3600
  }
}

resource "google_storage_bucket_iam_member" "images_public_read" {
  count  = var.images_public ? 1 : 0
  bucket = google_storage_bucket.images.name
  role   = "roles/storage.objectViewer"
  member = "allUsers"
}

# --- pgvector on Cloud SQL ------------------------------------------------------------------------------------------
# Cloud SQL ships pgvector: no database flag is needed. Vitrine runs CREATE EXTENSION IF NOT EXISTS vector on first
# use as the user below (a member of cloudsqlsuperuser, which may create it).

resource "random_password" "db" {
  count   = local.use_pgvector ? 1 : 0
  length  = 32
  special = false
}

resource "google_sql_database_instance" "vitrine" {
  count               = local.use_pgvector ? 1 : 0
  name                = "${var.name_prefix}-pg"
  database_version    = var.db_version
  region              = var.region
  deletion_protection = var.deletion_protection

  settings {
    tier              = var.db_tier
    availability_type = var.db_high_availability ? "REGIONAL" : "ZONAL"
    disk_autoresize   = true

    backup_configuration {
      enabled                        = true
      point_in_time_recovery_enabled = true
    }

    ip_configuration {
      ipv4_enabled = true
      ssl_mode     = "ENCRYPTED_ONLY"
      dynamic "authorized_networks" {
        for_each = var.db_authorized_networks
        content {
          name  = "vitrine-${authorized_networks.key}"
          value = authorized_networks.value
        }
      }
    }

    # HNSW builds are memory-hungry; searches set hnsw.ef_search per query themselves.
    database_flags {
      name  = "maintenance_work_mem"
      value = "1048576"
    }
  }
}

resource "google_sql_database_instance" "replica" {
  count                = local.use_pgvector ? var.db_read_replicas : 0
  name                 = "${var.name_prefix}-pg-replica-${count.index}"
  database_version     = var.db_version
  region               = var.region
  master_instance_name = google_sql_database_instance.vitrine[0].name
  deletion_protection  = var.deletion_protection

  replica_configuration {
    failover_target = false
  }

  settings {
    tier              = var.db_tier
    availability_type = "ZONAL"
    disk_autoresize   = true
    ip_configuration {
      ipv4_enabled = true
      ssl_mode     = "ENCRYPTED_ONLY"
    }
  }
}

resource "google_sql_database" "vitrine" {
  count    = local.use_pgvector ? 1 : 0
  name     = "vitrine"
  instance = google_sql_database_instance.vitrine[0].name
}

resource "google_sql_user" "vitrine" {
  count    = local.use_pgvector ? 1 : 0
  name     = "vitrine"
  instance = google_sql_database_instance.vitrine[0].name
  password = random_password.db[0].result
}

# --- Pinecone -------------------------------------------------------------------------------------------------------

resource "pinecone_index" "vitrine" {
  count     = local.use_pinecone ? 1 : 0
  name      = "${var.name_prefix}-products"
  dimension = var.embedding_dimension
  metric    = "cosine"
  spec = {
    serverless = {
      cloud  = var.pinecone_cloud
      region = var.pinecone_region
    }
  }
  deletion_protection = var.deletion_protection ? "enabled" : "disabled"
}
