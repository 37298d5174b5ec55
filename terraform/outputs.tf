# What Vitrine's configuration reads: VITRINE_STORE (the store URL) and the image bucket for
# `vitrine index --upload-images`.

output "vitrine_store" {
  description = "VITRINE_STORE for every Vitrine replica and for vitrine index (contains the database password)."
  sensitive   = true
  # try(): only the chosen store's resources exist (count 0 for the other).
  value = local.use_pgvector ? try(format(
    "postgres://%s:%s@%s:5432/%s?table=%s&sslmode=require",
    google_sql_user.vitrine[0].name,
    random_password.db[0].result,
    google_sql_database_instance.vitrine[0].public_ip_address,
    google_sql_database.vitrine[0].name,
    var.vitrine_table,
  ), "") : try(format("pinecone://%s?namespace=%s", pinecone_index.vitrine[0].name, var.pinecone_namespace), "")
}

output "vitrine_store_read_replicas" {
  description = "Store URLs of the read replicas, for Vitrine replicas that only search."
  sensitive   = true
  value = [
    for replica in google_sql_database_instance.replica : format(
      "postgres://%s:%s@%s:5432/vitrine?table=%s&sslmode=require",
      google_sql_user.vitrine[0].name,
      random_password.db[0].result,
      replica.public_ip_address,
      var.vitrine_table,
    )
  ]
}

output "image_bucket_url" {
  description = "Value for vitrine index --upload-images."
  value       = "gs://${google_storage_bucket.images.name}"
}

output "image_public_base" {
  description = "Where uploaded photos are served from when the bucket is public."
  value       = "https://storage.googleapis.com/${google_storage_bucket.images.name}"
}

output "pinecone_host" {
  description = "Data-plane host of the Pinecone index (empty with pgvector)."
  value       = try(pinecone_index.vitrine[0].host, "")
}
