variable "project_id" {
  description = "Google Cloud project that holds the image bucket (and Cloud SQL when vector_store = \"pgvector\")."
  type        = string
}

variable "region" {
  description = "Region of the bucket and the database."
  type        = string
  default     = "europe-west1"
}

variable "name_prefix" {
  description = "Prefix of every resource name (lower-case letters, digits and -)."
  type        = string
  default     = "vitrine"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,20}$", var.name_prefix))
    error_message = "name_prefix must be 3-21 lower-case letters, digits or -, starting with a letter."
  }
}

variable "vector_store" {
  description = "Which shared vector store to create: \"pgvector\" (Cloud SQL for PostgreSQL) or \"pinecone\" (a serverless index)."
  type        = string
  default     = "pgvector"
  validation {
    condition     = contains(["pgvector", "pinecone"], var.vector_store)
    error_message = "vector_store must be \"pgvector\" or \"pinecone\"."
  }
}

variable "embedding_dimension" {
  description = "Vector dimension of the model Vitrine indexes with (the Pinecone index is created with it)."
  type        = number
  default     = 512
}

variable "images_public" {
  description = "Make the image bucket publicly readable, so search results link to photos directly (else serve them through a CDN or signed URLs)."
  type        = bool
  default     = true
}

variable "db_tier" {
  description = "Cloud SQL machine tier. HNSW search wants the index in memory: about 1.5x (dimension x 4 bytes x products)."
  type        = string
  default     = "db-custom-2-7680"
}

variable "db_version" {
  description = "Cloud SQL PostgreSQL version (pgvector with HNSW needs PostgreSQL 12+; 0.8 iterative scans come with recent versions)."
  type        = string
  default     = "POSTGRES_17"
}

variable "db_high_availability" {
  description = "Regional (primary + standby) Cloud SQL instance instead of a zonal one."
  type        = bool
  default     = false
}

variable "db_read_replicas" {
  description = "Read replicas of the Cloud SQL instance, for read scale-out (point Vitrine replicas at them with VITRINE_STORE)."
  type        = number
  default     = 0
}

variable "db_authorized_networks" {
  description = "CIDR ranges allowed to reach the database's public IP (empty: only through the Cloud SQL Auth Proxy or private networking)."
  type        = list(string)
  default     = []
}

variable "vitrine_table" {
  description = "Table Vitrine keeps products in (the ?table= option of the store URL)."
  type        = string
  default     = "products"
}

variable "pinecone_cloud" {
  description = "Cloud of the Pinecone serverless index."
  type        = string
  default     = "gcp"
}

variable "pinecone_region" {
  description = "Region of the Pinecone serverless index."
  type        = string
  default     = "europe-west4"
}

variable "pinecone_namespace" {
  description = "Pinecone namespace Vitrine writes products to."
  type        = string
  default     = "products"
}

variable "deletion_protection" {
  description = "Protect the database and the index from terraform destroy."
  type        = bool
  default     = true
}
